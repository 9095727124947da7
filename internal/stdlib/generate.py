#!/usr/bin/env python3
"""Regenerate internal/stdlib/data/X.Y.txt from the pyenv interpreters.

Run from this directory: python3 generate.py [PYENV_ROOT [OUTDIR]]
(OUTDIR defaults to data/; the tests write to a temporary one and compare.)

For Python 3.10 and later the list is sys.stdlib_module_names of that
interpreter. For 2.7 and 3.6 to 3.9, which lack it, the list is the
top-level entries of the interpreter's lib directory (modules, packages and
lib-dynload extension modules; for 2.7 also plat-linux2, lib-tk and lib-old,
which are on its sys.path) plus sys.builtin_module_names, plus the
modules of other platforms (Windows, macOS) that 3.10 lists and that
existed in that version (PLATFORM_ONLY below; PLATFORM_ONLY_27 for 2.7). 3.14 is not installed: it
is 3.13 plus the modules added in 3.14 (PY314_ADDED, from "What's New in
Python 3.14"). Each file holds one top-level module name per line.
"""
import json
import os
import subprocess
import sys

LISTING = r'''
import os, re, sys, json, sysconfig
lib = sysconfig.get_paths()["stdlib"]
ident = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$").match
names = set(sys.builtin_module_names)
skip = {"site-packages", "test", "__pycache__", "__phello__.foo"}
def add(d):
    for e in os.listdir(d):
        p = os.path.join(d, e)
        if e in skip or e.startswith("config-") or e.startswith("_sysconfigdata"):
            continue
        if os.path.isdir(p):
            if os.path.exists(os.path.join(p, "__init__.py")) and ident(e):
                names.add(e)
        elif e.endswith(".py") and ident(e[:-3]):
            names.add(e[:-3])
        elif e.endswith(".so"):
            n = e.split(".")[0]
            if ident(n):
                names.add(n)
add(lib)
for sub in ("lib-dynload", "plat-linux2", "lib-tk", "lib-old"):
    if os.path.isdir(os.path.join(lib, sub)):
        add(os.path.join(lib, sub))
test_only = ("_test", "xx", "_xx", "_ctypes_test")
print(json.dumps(sorted(n for n in names if not n.startswith(test_only))))
'''
MODERN = 'import sys, json; print(json.dumps(sorted(sys.stdlib_module_names)))'

# Modules that sys.stdlib_module_names of 3.10 lists but a Linux pyenv lib
# directory lacks (Windows and macOS modules, frozen importlib, the gdbm
# modules of a build without libgdbm, _hashlib of the 3.6 build), all present in
# 3.6 to 3.9 too.
# Test-only extension modules (_test*, xx*) are left out, as 3.10 does.
PLATFORM_ONLY = ["_msi", "_overlapped", "_scproxy", "_winapi", "msilib", "msvcrt",
                 "nt", "winreg", "winsound", "_frozen_importlib",
                 "_frozen_importlib_external", "_dbm", "_gdbm", "_hashlib"]

# The same for 2.7: Windows (_winreg, not winreg), macOS and the optional
# extension modules a Linux pyenv build may lack (dbm, gdbm, bsddb's
# _bsddb, _hashlib without OpenSSL headers, the 32-bit-only imageop, dl).
PLATFORM_ONLY_27 = ["_msi", "_winreg", "_subprocess", "msilib", "msvcrt", "nt",
                    "winsound", "_scproxy", "MacOS", "Carbon", "EasyDialogs",
                    "Nav", "macostools", "findertools", "ic", "icopen",
                    "autoGIL", "ColorPicker", "gestalt", "dbm", "gdbm",
                    "_bsddb", "_hashlib", "bsddb185", "imageop", "dl",
                    "_tkinter", "_sqlite3", "readline"]

PY314_ADDED = ["annotationlib", "compression", "_zstd", "_remote_debugging", "_hmac"]


def interpreter(root, major, minor):
    vers = sorted(v for v in os.listdir(os.path.join(root, "versions"))
                  if v.startswith("%d.%d." % (major, minor)))
    if not vers:
        return None
    return os.path.join(root, "versions", vers[-1], "bin", "python%d.%d" % (major, minor))


def query(py, code):
    # Isolated (-I; -E -s for 2.7, which has no -I) and in a neutral folder, so
    # that nothing of this directory or the environment shadows the stdlib.
    flags = ["-E", "-s"] if "python2" in os.path.basename(py) else ["-I"]
    return set(json.loads(subprocess.check_output([py] + flags + ["-c", code], cwd="/")))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.pyenv")
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "data")
    out = {}
    for major, minor in [(2, 7)] + [(3, m) for m in range(6, 14)]:
        py = interpreter(root, major, minor)
        if py is None:
            sys.exit("no pyenv interpreter for %d.%d under %s" % (major, minor, root))
        code = MODERN if (major, minor) >= (3, 10) else LISTING
        names = query(py, code)
        if major == 2:
            names.update(PLATFORM_ONLY_27)
        elif minor < 10:
            names.update(PLATFORM_ONLY)
        out["%d.%d" % (major, minor)] = names
    out["3.14"] = out["3.13"] | set(PY314_ADDED)
    for version, names in out.items():
        with open(os.path.join(outdir, version + ".txt"), "w") as f:
            f.write("\n".join(sorted(names)) + "\n")


if __name__ == "__main__":
    main()
