# Oracle for the Go metadata reader: the email parser and packaging's Version.
import email.parser, email.policy, json, sys
try:
    from pip._vendor.packaging.version import Version
except ImportError:
    from packaging.version import Version
def body(msg):
    b = msg.get_payload(decode=True) or b""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b.decode("latin-1")

out = []
for path in json.load(sys.stdin):
    with open(path, "rb") as f:
        data = f.read()
    msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)
    def all_(k):
        return [str(v) for v in (msg.get_all(k) or [])]
    r = {"name": str(msg.get("Name", "")), "requires_dist": all_("Requires-Dist"),
         "classifiers": all_("Classifier"), "summary": str(msg.get("Summary", "")),
         "provides_extra": all_("Provides-Extra"), "body": body(msg)}
    try:
        r["version"] = str(Version(str(msg.get("Version", ""))))
    except Exception:
        r["version"] = None
    out.append(r)
json.dump(out, sys.stdout)
