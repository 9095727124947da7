# Reference parses from the packaging library vendored by pip, for filenames_test.go.
# stdin: file names, one a line. stdout: one JSON value a line: null when packaging
# rejects the name, else [canonical name, version, build tag, [tags]] (tags null for sdists).
import json
import sys

from pip._vendor.packaging.utils import parse_sdist_filename, parse_wheel_filename

for line in sys.stdin.read().splitlines():
    try:
        if line.endswith(".whl"):
            name, version, build, tags = parse_wheel_filename(line)
            b = "%d%s" % build if build else ""
            print(json.dumps([name, str(version), b, sorted(str(t) for t in tags)]))
        else:
            name, version = parse_sdist_filename(line)
            print(json.dumps([name, str(version), "", None]))
    except Exception:
        print("null")
