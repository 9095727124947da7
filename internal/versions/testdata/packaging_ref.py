# Reference answers from the packaging library vendored by pip, for compat_test.go.
# stdin: {"versions": [str], "grid": [str], "specs": [str], "filters": [str]}
# stdout: {"parsed": [str|null], "rank": {canonical: rank}, "contains": [[str, str]],
#          "filter": [[int]], "packaging": version}
import json
import sys

from pip._vendor import packaging
from pip._vendor.packaging.specifiers import SpecifierSet
from pip._vendor.packaging.version import InvalidVersion, Version

req = json.load(sys.stdin)
parsed = []
valid = []
for s in req["versions"]:
    try:
        v = Version(s)
    except InvalidVersion:
        parsed.append(None)
        continue
    parsed.append(str(v))
    valid.append(v)

valid.sort()
rank = {}
r = -1
prev = None
for v in valid:
    if prev is None or v != prev:
        r += 1
    rank[str(v)] = r
    prev = v

grid = [Version(s) for s in req["grid"]]
contains = []
for spec in req["specs"]:
    try:
        ss = SpecifierSet(spec)
    except Exception:
        contains.append(None)
        continue
    a = "".join("1" if ss.contains(v) else "0" for v in grid)
    b = "".join("1" if ss.contains(v, prereleases=True) else "0" for v in grid)
    contains.append([a, b])

filters = []
for spec in req["filters"]:
    ss = SpecifierSet(spec)
    index = {id(v): i for i, v in enumerate(grid)}
    filters.append([index[id(v)] for v in ss.filter(grid)])

json.dump({"parsed": parsed, "rank": rank, "contains": contains, "filter": filters,
           "packaging": packaging.__version__}, sys.stdout)
