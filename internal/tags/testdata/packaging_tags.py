# Reference tag lists from the packaging library vendored by pip, for tags_test.go.
# With --sys-only (older packaging), only sys_tags.
# Prints a JSON object: scenario name -> list of tag strings.
import json
import sys

from pip._vendor.packaging import _manylinux, _musllinux, tags

out = {"sys_tags": [str(t) for t in tags.sys_tags()]}
if sys.argv[1:] == ["--sys-only"]:
    print(json.dumps(out))
    sys.exit(0)


def linux(archs, glibc=None, musl=None):
    _manylinux._get_glibc_version = lambda: glibc or (-1, -1)
    _manylinux._have_compatible_abi = lambda executable, archs: True
    _musllinux._get_musl_version = lambda executable: (
        _musllinux._MuslVersion(*musl) if musl else None)
    plats = list(_manylinux.platform_tags(archs)) if glibc else []
    plats += list(_musllinux.platform_tags(archs))
    plats += ["linux_" + a for a in archs]
    return plats


def cpython(version, plats, threaded=False):
    real = tags._get_config_var
    tags._get_config_var = lambda name, warn=False: (
        1 if name == "Py_GIL_DISABLED" and threaded else
        0 if name == "Py_DEBUG" else real(name, warn))
    try:
        interp = "cp%d%d" % version
        ts = list(tags.cpython_tags(version, platforms=plats))
        ts += list(tags.compatible_tags(version, interp, plats))
    finally:
        tags._get_config_var = real
    return [str(t) for t in ts]


out["cp37-manylinux-aarch64-2.28"] = cpython((3, 7), linux(["aarch64"], glibc=(2, 28)))
out["cp38-manylinux-i686-2.17"] = cpython((3, 8), linux(["i686"], glibc=(2, 17)))
out["cp312-musllinux-x86_64-1.2"] = cpython((3, 12), linux(["x86_64"], musl=(1, 2)))
out["cp313t-manylinux-x86_64-2.39"] = cpython((3, 13), linux(["x86_64"], glibc=(2, 39)), threaded=True)
out["cp310-linux-armv8l-2.31"] = cpython((3, 10), linux(["armv8l", "armv7l"], glibc=(2, 31)))
out["cp39-linux-riscv64-none"] = cpython((3, 9), linux(["riscv64"]))
out["cp311-macos-x86_64-10.15"] = cpython((3, 11), list(tags.mac_platforms((10, 15), "x86_64")))
out["cp312-macos-arm64-14.0"] = cpython((3, 12), list(tags.mac_platforms((14, 0), "arm64")))
out["cp311-macos-x86_64-12.3"] = cpython((3, 11), list(tags.mac_platforms((12, 3), "x86_64")))
out["cp311-windows-x86_64"] = cpython((3, 11), ["win_amd64"])
plats = linux(["x86_64"], glibc=(2, 28))
out["pp310-manylinux-x86_64-2.28"] = [str(t) for t in
    list(tags.generic_tags("pp310", ["pypy310_pp73"], plats)) +
    list(tags.compatible_tags((3, 10), "pp3", plats))]
print(json.dumps(out))
