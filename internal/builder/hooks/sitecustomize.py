# Build isolation, imported at start-up because its directory is first on PYTHONPATH.
# It drops the interpreter's own site-packages (and the user site) from sys.path when
# _PYDEPOT_BUILD_ISOLATE=1, then adds the build environment (_PYDEPOT_BUILD_SITE) as a
# site directory so its .pth files are processed.
import os
import site
import sys


def _isolate():
    drop = set()
    try:
        drop.update(site.getsitepackages())
    except AttributeError:
        pass
    try:
        drop.add(site.getusersitepackages())
    except AttributeError:
        pass
    norm = lambda p: os.path.normcase(os.path.abspath(p))
    drop = set(norm(p) for p in drop)
    sys.path[:] = [p for p in sys.path if norm(p) not in drop]


if os.environ.get("_PYDEPOT_BUILD_ISOLATE") == "1":
    _isolate()
if os.environ.get("_PYDEPOT_BUILD_SITE"):
    site.addsitedir(os.environ["_PYDEPOT_BUILD_SITE"])
