# Oracle for the Go marker parser: packaging's Marker on each input, evaluated in each env.
import json, sys
try:
    from pip._vendor.packaging.markers import Marker
except ImportError:
    from packaging.markers import Marker
req = json.load(sys.stdin)
out = []
for s in req["markers"]:
    r = {"ok": False, "str": "", "evals": []}
    try:
        m = Marker(s)
    except Exception as e:
        r["err"] = str(e).splitlines()[0]
        out.append(r)
        continue
    r["ok"] = True
    r["str"] = str(m)
    for env in req["envs"]:
        try:
            r["evals"].append(bool(m.evaluate(env)))
        except Exception:
            r["evals"].append(None)
    out.append(r)
json.dump(out, sys.stdout)
