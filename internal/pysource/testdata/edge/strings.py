# All string forms; imports hidden inside strings must not count.
s1 = 'import fake1'
s2 = "from fake2 import x"
s3 = '''
import fake3
'''
s4 = """import fake4 \""" still string
"""
b1 = b'import fake5'
r1 = r'\'import fake6'
r2 = R"\"" ; import real1
rb = Rb'''\''' '''
br = bR"x\"y"
u1 = u'import fake7'
f1 = f'{s1!r:>10} import fake8'
f2 = f"{'nested'} {f'{s2}'}"
f3 = f'''{
    __import__("dyn_in_fstring")
}'''
f4 = rf"\{s1}" fr'{s2}\n'
f5 = f"{{import fake9}}"
f6 = f"{s1:{'>'}{10}}"
f7 = f"\N{BULLET} {s1}"
f8 = f"{s1=}"
f9 = f"{s1!r}" f"{ {'a': 1}['a'] }"
f10 = f"{ (lambda: 1)() }" if False else None
x = "abc\
def"
import real2
y = 1 + \
    2; import real3
cat = "a" "b" 'c'
__import__("con" "cat" 'ed')
__import__(b"bytes_not_counted")
__import__(f"fstring_not_counted")
__import__("x" + "not_counted")
__import__(r"raw_counted")
__import__("esc\x61ped")
__import__(u"unicode_prefix",)
