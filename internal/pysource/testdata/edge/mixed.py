import os, sys as s, a.b.c
from . import x
from ..pkg.mod import (y as z,
   w)
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import typingonly
try:
    import yaml
except (ValueError, ImportError):
    import fallback
else:
    import elsemod
def f(x=__import__("deflt")):
    import inf
    x = f"{__import__('inside_f')!r:>{importlib.import_module("nested")}}"
    class C:
        def g(self): from q import r
match cmd:
    case {"a": 1}: import m1
    case _:
        import m2
match = 3
type X = int
async def h():
    async with a: import am
