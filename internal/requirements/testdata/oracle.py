# Oracle for the Go requirement parser: packaging's Requirement on each input.
import json, sys
try:
    from pip._vendor.packaging.requirements import Requirement
except ImportError:
    from packaging.requirements import Requirement
out = []
for s in json.load(sys.stdin):
    try:
        r = Requirement(s)
    except Exception as e:
        out.append({"ok": False, "err": str(e).splitlines()[0]})
        continue
    out.append({
        "ok": True,
        "name": r.name,
        "extras": sorted(r.extras),
        "specs": sorted(str(x) for x in r.specifier),
        "url": r.url or "",
        "marker": str(r.marker) if r.marker is not None else "",
    })
json.dump(out, sys.stdout)
