match = 1
match.x = 2
match[0] = 3
match(x)
case = 4
type = 5
print(match, case, type)
_ = 6
match (command):
    case "a" | "b":
        import in_case1
    case [x, *rest] if __import__("in_guard"):
        import in_case2
    case {"k": v, **kw}:
        import in_case3
    case Point(x=0, y=0): import in_case_inline
    case _:
        match nested:
            case 1:
                import in_nested_case
match -x:
    case 1: pass
match x, y:
    case (1, 2): import tuple_subject
type Alias = list[int]
type Generic[T] = dict[str, T]
def generic[T: int, *Ts, **P](x: T) -> T:
    import in_generic_def
class GC[T]:
    import in_generic_class
try:
    import optional_star
except* ImportError:
    pass
async def coro():
    await x
    async with a as b, c as d:
        import async_with2
