# Runs one PEP 517 hook in this process, like pyproject_hooks' _in_process.
# Usage: python _pydepot_hooks.py HOOK INPUT.json OUTPUT.json
# INPUT holds backend, backend_path, config_settings, wheel_directory or
# metadata_directory.
# OUTPUT receives {"return_val": ...} or {"error": ..., "traceback": ...}.
# Written for Python 3.6 and later.
import importlib
import json
import os
import sys
import traceback


def load_backend(spec, backend_path):
    if backend_path:
        sys.path[:0] = [os.path.abspath(p) for p in backend_path]
    mod_path, _, obj_path = spec.partition(":")
    obj = importlib.import_module(mod_path.strip())
    if obj_path:
        for part in obj_path.strip().split("."):
            obj = getattr(obj, part)
    return obj


def run(hook, args):
    backend = load_backend(args["backend"], args.get("backend_path"))
    config = args.get("config_settings") or None
    if hook == "get_requires_for_build_wheel":
        fn = getattr(backend, hook, None)
        return [] if fn is None else list(fn(config))
    if hook == "prepare_metadata_for_build_wheel":
        fn = getattr(backend, hook, None)
        # None tells the caller to build the wheel and read its metadata (PEP 517)
        return None if fn is None else fn(args["metadata_directory"], config)
    if hook == "build_wheel":
        return backend.build_wheel(args["wheel_directory"], config, None)
    if hook == "build_sdist":
        return backend.build_sdist(args["sdist_directory"], config)
    raise ValueError("unknown hook " + hook)


def main():
    hook, in_path, out_path = sys.argv[1:4]
    with open(in_path) as f:
        args = json.load(f)
    try:
        result = {"return_val": run(hook, args)}
        code = 0
    except BaseException as e:  # report everything, including SystemExit from setup.py
        traceback.print_exc()
        result = {"error": "%s: %s" % (type(e).__name__, e), "traceback": traceback.format_exc()}
        code = 1
    with open(out_path, "w") as f:
        json.dump(result, f)
    sys.exit(code)


if __name__ == "__main__":
    main()
