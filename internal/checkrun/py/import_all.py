# Imports every module named on the command line; prints one line per module and exits 1
# when any import failed. Run by the import step of pydepot's checks, in the sandbox.
import importlib
import sys
import traceback

failed = 0
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        print("ok", name, flush=True)
    except BaseException:
        failed += 1
        print("FAILED", name, flush=True)
        traceback.print_exc()
sys.exit(1 if failed else 0)
