"""Reference import finder on CPython's ast, with the rules of package pysource.

Reads file paths, one a line, on stdin; writes one JSON object a line:
{"path": p, "error": null | "msg", "imports": [[line, module, level, names,
dynamic, functions, optional, type_checking], ...]} in the same order as
pysource.Imports (statements in source order, calls of a statement after it).
"""
import ast
import json
import sys
import warnings

STMT_LIST_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def is_tc(test):
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
            and isinstance(test.value, ast.Name))


def exc_matches(t):
    if isinstance(t, ast.Tuple):
        return any(exc_matches(e) for e in t.elts)
    while isinstance(t, ast.Attribute):
        if not isinstance(t.value, (ast.Name, ast.Attribute)):
            return False
        return t.attr in ("ImportError", "ModuleNotFoundError") and dotted(t.value)
    return isinstance(t, ast.Name) and t.id in ("ImportError", "ModuleNotFoundError")


def dotted(t):
    while isinstance(t, ast.Attribute):
        t = t.value
    return isinstance(t, ast.Name)


class Walker:
    def __init__(self, tree):
        self.out = []
        self.importlib = {"importlib"}
        self.import_module = set()
        for n in ast.walk(tree):
            if isinstance(n, ast.Import):
                for a in n.names:
                    if a.asname and a.name == "importlib":
                        self.importlib.add(a.asname)
            elif isinstance(n, ast.ImportFrom) and n.level == 0 and n.module == "importlib":
                for a in n.names:
                    if a.name == "import_module":
                        self.import_module.add(a.asname or a.name)

    def add(self, line, module, level, names, dynamic, sc):
        funcs, optional, tc = sc
        self.out.append([line, module, level, names, dynamic, list(funcs), optional, tc])

    def calls(self, nodes, sc):
        found = []
        for node in nodes:
            for n in ast.walk(node):
                if not isinstance(n, ast.Call) or not n.args:
                    continue
                f = n.func
                ok = (isinstance(f, ast.Attribute) and f.attr == "import_module"
                      and isinstance(f.value, ast.Name) and f.value.id in self.importlib) or \
                     (isinstance(f, ast.Name) and (f.id == "__import__" or f.id in self.import_module))
                a = n.args[0]
                if ok and isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value \
                        and not isinstance(a, ast.Starred):
                    found.append(n)
        # source order, like the token scan
        found.sort(key=lambda n: (n.func.lineno, n.func.col_offset))
        for n in found:
            v = n.args[0].value
            level = len(v) - len(v.lstrip("."))
            self.add(n.func.lineno, v[level:], level, [], True, sc)

    def block(self, body, sc):
        for s in body:
            self.stmt(s, sc)

    def stmt(self, s, sc):
        funcs, optional, tc = sc
        if isinstance(s, ast.Import):
            for a in s.names:
                self.add(s.lineno, a.name, 0, [], False, sc)
            return
        if isinstance(s, ast.ImportFrom):
            self.add(s.lineno, s.module or "", s.level, [a.name for a in s.names], False, sc)
            return
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            header = list(s.decorator_list) + [s.args] + ([s.returns] if s.returns else []) + \
                list(getattr(s, "type_params", []))
            self.calls(sorted_nodes(header), sc)
            self.block(s.body, (funcs + [s.name], False, tc))
            return
        if isinstance(s, ast.ClassDef):
            header = list(s.decorator_list) + s.bases + s.keywords + list(getattr(s, "type_params", []))
            self.calls(sorted_nodes(header), sc)
            self.block(s.body, sc)
            return
        if isinstance(s, ast.If):
            self.calls([s.test], sc)
            self.block(s.body, (funcs, optional, tc or is_tc(s.test)))
            self.block(s.orelse, sc)
            return
        if isinstance(s, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            catches = any(h.type is None or exc_matches(h.type) for h in s.handlers)
            self.block(s.body, (funcs, optional or catches, tc))
            for h in s.handlers:
                if h.type is not None:
                    self.calls([h.type], sc)
                self.block(h.body, sc)
            self.block(s.orelse, sc)
            self.block(s.finalbody, sc)
            return
        if isinstance(s, (ast.For, ast.AsyncFor)):
            self.calls([s.target, s.iter], sc)
            self.block(s.body, sc)
            self.block(s.orelse, sc)
            return
        if isinstance(s, ast.While):
            self.calls([s.test], sc)
            self.block(s.body, sc)
            self.block(s.orelse, sc)
            return
        if isinstance(s, (ast.With, ast.AsyncWith)):
            self.calls(s.items, sc)
            self.block(s.body, sc)
            return
        if isinstance(s, ast.Match):
            self.calls([s.subject], sc)
            for c in s.cases:
                self.calls([c.pattern] + ([c.guard] if c.guard else []), sc)
                self.block(c.body, sc)
            return
        self.calls([s], sc)


def sorted_nodes(nodes):
    return nodes


def main():
    warnings.simplefilter("ignore")
    for line in sys.stdin:
        path = line.rstrip("\n")
        rec = {"path": path, "error": None, "imports": []}
        try:
            with open(path, "rb") as f:
                tree = ast.parse(f.read(), path)
            w = Walker(tree)
            w.block(tree.body, ([], False, False))
            rec["imports"] = w.out
        except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
            rec["error"] = "%s: %s" % (type(e).__name__, e)
        print(json.dumps(rec))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
