import typing
from typing import TYPE_CHECKING
import importlib as il, importlib.util
from importlib import import_module as imp_mod, import_module


@decorator(__import__("in_decorator"))
@other.attr
class Outer(Base, metaclass=__import__("in_bases").Meta):
    import in_class_body

    try:
        import optional_in_class
    except (ValueError, (KeyError, ModuleNotFoundError)) as e:
        pass

    @staticmethod
    async def method(x=il.import_module("in_default"), *, y: "ann" = 1) -> None:
        import in_method
        def inner():
            from deep.module import thing
        async for item in gen():
            import in_async_for
        async with ctx() as c:
            import in_async_with
        return [__import__("in_listcomp") for _ in range(1)]


try:
    import optional_plain
except ImportError:
    import fallback_required
else:
    import else_required
finally:
    import finally_required

try:
    import optional_bare
except:
    pass

try:
    import not_optional
except ValueError:
    pass

try:
    import optional_dotted
except builtins.ImportError:
    pass

try:
    def f():
        import func_in_try_not_optional
    class K:
        import class_in_try_optional
except ImportError:
    pass

if TYPE_CHECKING:
    import tc_only
    def tcf():
        import tc_in_def
elif typing.TYPE_CHECKING:
    import tc_elif
else:
    import runtime_else

if typing.TYPE_CHECKING:
    from collections.abc import Sequence

if not TYPE_CHECKING:
    import not_tc

if TYPE_CHECKING or x:
    import not_tc_either

while (n := imp_mod("walrus_call")):
    import in_while
    break
else:
    import while_else

for i in range(3):
    import in_for
else:
    import for_else

with open("f") as fh, open("g"): import in_with_inline

if x: import inline_if; import inline_if2
elif y: import inline_elif
else: import inline_else

lam = lambda: import_module("in_lambda")
importlib.import_module(".relative_dyn", "pkg")
importlib.import_module("..", "pkg")
x.importlib.import_module("not_counted_attr")
import_module(name="not_counted_kw")
importlib.util.import_module("not_counted")
