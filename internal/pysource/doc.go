// Package pysource reads Python 3 source code in Go: a tokenizer that follows
// CPython's (all string forms, f-strings and t-strings with PEP 701 nesting, line
// continuations, brackets, indentation), a statement parser that keeps the nesting of
// blocks (decorators, async, match/case, soft keywords, type statements), and Imports,
// which lists every import of a module with the context it runs in.
//
// The parser reads statements, not expressions: it knows where each statement,
// clause and block starts and ends and keeps the tokens of headers and simple
// statements. That is enough to find imports exactly, and it never fails: code that
// is not valid Python gives a best-effort tree and an error that says where.
//
// Import rules (see Imports):
//   - `import a.b` and `from x import y` at any depth, relative ones with Level > 0;
//   - calls importlib.import_module("literal") (also through `import importlib as il`),
//     import_module("literal") when bound by `from importlib import import_module [as
//     name]`, and __import__("literal"), where the first argument is one string
//     literal or an implicit concatenation of plain string literals;
//   - Optional: inside the `try:` body of a try statement one of whose handlers catches
//     ImportError or ModuleNotFoundError (a name or dotted name ending so, alone or in a
//     tuple, nested tuples too) or is a bare `except:` (which catches ImportError too);
//     imports in the handlers, `else:` and `finally:` are not optional. A def resets it
//     (its body does not run inside the try); a class body does not;
//   - TypeChecking: inside the body of `if TYPE_CHECKING:` / `elif TYPE_CHECKING:`
//     where the test is exactly the name TYPE_CHECKING or NAME.TYPE_CHECKING
//     (typing.TYPE_CHECKING, typing_extensions.TYPE_CHECKING, t.TYPE_CHECKING); it
//     carries into nested defs;
//   - Functions: the names of the enclosing def / async def statements, outermost
//     first. Decorators, default values and annotations of a def belong to the
//     enclosing scope; lambdas and comprehensions are not scopes here.
package pysource
