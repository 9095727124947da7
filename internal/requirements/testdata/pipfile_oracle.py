# Oracle for ParseFile: pip's own requirements-file parser on each file.
import json, sys
from pip._internal.network.session import PipSession
from pip._internal.req.req_file import parse_requirements
try:
    from pip._vendor.packaging.requirements import Requirement
except ImportError:
    from packaging.requirements import Requirement
session = PipSession()
out = []
for path in json.load(sys.stdin):
    r = {"ok": True, "reqs": [], "err": ""}
    try:
        for pr in parse_requirements(path, session=session):
            named = not pr.is_editable
            if named:
                try:
                    Requirement(pr.requirement)
                except Exception:
                    named = False
            r["reqs"].append({"req": pr.requirement, "constraint": pr.constraint, "named": named})
    except BaseException as e:
        r["ok"] = False
        r["err"] = str(e).splitlines()[0] if str(e) else type(e).__name__
    out.append(r)
json.dump(out, sys.stdout)
