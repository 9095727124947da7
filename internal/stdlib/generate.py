#!/usr/bin/env python3
"""Regenerate internal/stdlib/data/3.X.txt from the pyenv interpreters.

Run from this directory: python3 generate.py [PYENV_ROOT]

For Python 3.10 and later the list is sys.stdlib_module_names of that
interpreter. For 3.8 and 3.9, which lack it, the list is the top-level
entries of the interpreter's lib directory (modules, packages and
lib-dynload extension modules) plus sys.builtin_module_names, plus the
modules of other platforms (Windows, macOS) that 3.10 lists and that
existed in that version (PLATFORM_ONLY below). 3.14 is not installed: it
is 3.13 plus the modules added in 3.14 (PY314_ADDED, from "What's New in
Python 3.14"). Each file holds one top-level module name per line.
"""
import json
import os
import subprocess
import sys

LISTING = r'''
import os, sys, json, sysconfig
lib = sysconfig.get_paths()["stdlib"]
names = set(sys.builtin_module_names)
skip = {"site-packages", "test", "__pycache__", "__phello__.foo"}
def add(d):
    for e in os.listdir(d):
        p = os.path.join(d, e)
        if e in skip or e.startswith("config-") or e.startswith("_sysconfigdata"):
            continue
        if os.path.isdir(p):
            if os.path.exists(os.path.join(p, "__init__.py")) and e.isidentifier():
                names.add(e)
        elif e.endswith(".py") and e[:-3].isidentifier():
            names.add(e[:-3])
        elif e.endswith(".so"):
            n = e.split(".")[0]
            if n.isidentifier():
                names.add(n)
add(lib)
add(os.path.join(lib, "lib-dynload"))
test_only = ("_test", "xx", "_xx", "_ctypes_test")
print(json.dumps(sorted(n for n in names if not n.startswith(test_only))))
'''
MODERN = 'import sys, json; print(json.dumps(sorted(sys.stdlib_module_names)))'

# Modules that sys.stdlib_module_names of 3.10 lists but a Linux pyenv lib
# directory lacks (Windows and macOS modules, frozen importlib, the gdbm
# modules of a build without libgdbm), all present in 3.8 and 3.9 too.
# Test-only extension modules (_test*, xx*) are left out, as 3.10 does.
PLATFORM_ONLY = ["_msi", "_overlapped", "_scproxy", "_winapi", "msilib", "msvcrt",
                 "nt", "winreg", "winsound", "_frozen_importlib",
                 "_frozen_importlib_external", "_dbm", "_gdbm"]

PY314_ADDED = ["annotationlib", "compression", "_zstd", "_remote_debugging", "_hmac"]


def interpreter(root, minor):
    vers = sorted(v for v in os.listdir(os.path.join(root, "versions"))
                  if v.startswith("3.%d." % minor))
    if not vers:
        return None
    return os.path.join(root, "versions", vers[-1], "bin", "python3")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.pyenv")
    here = os.path.dirname(os.path.abspath(__file__))
    out = {}
    for minor in range(8, 14):
        py = interpreter(root, minor)
        if py is None:
            sys.exit("no pyenv interpreter for 3.%d under %s" % (minor, root))
        code = MODERN if minor >= 10 else LISTING
        names = set(json.loads(subprocess.check_output([py, "-c", code])))
        if minor < 10:
            names.update(PLATFORM_ONLY)
        out[minor] = names
    out[14] = out[13] | set(PY314_ADDED)
    for minor, names in out.items():
        with open(os.path.join(here, "data", "3.%d.txt" % minor), "w") as f:
            f.write("\n".join(sorted(names)) + "\n")


if __name__ == "__main__":
    main()
