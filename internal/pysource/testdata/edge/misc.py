# -*- coding: utf-8 -*-
π = 3.14
def ñ():
    import unicode_func
x = [1,
     2,   # comment
  3]; import after_bracket
if (a and
        b):
    import in_paren_header
    pass
d = {'a': 1,
}
from . import sibling
from .. import parent
from .mod import name
from ...a.b import c
from .x import (a,
                b as bb,
                )
import a.b.c as abc, d
from e import *
@property
def p(self): return 0
numbers = 0x1F + 0o17 + 0b1 + 1_000 + 1.5e-3 + 2j + .5 + 1if x else 2
class E: pass
def decorated_lambda(f=lambda x: x): import in_inline_def
if lambda: 1:
    import after_lambda_header
assert __import__("in_assert")
del x
global g
raise X from __import__("in_raise")
x: int = __import__("in_annassign")
x += __import__("in_augassign").y
return_value = yield_value = None
... ; import after_ellipsis
