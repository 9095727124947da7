# Discovers and runs the unittest tests under argv[1] (test*.py) and writes the counts to
# argv[2] as JSON. Run by the test step of pydepot's checks, in the sandbox.
import json
import sys
import unittest

start, out = sys.argv[1], sys.argv[2]
if start not in sys.path:
    sys.path.insert(0, start)
suite = unittest.TestLoader().discover(start, pattern="test*.py", top_level_dir=start)
result = unittest.TextTestRunner(stream=sys.stderr, verbosity=2).run(suite)
failures = len(result.failures) + len(getattr(result, "unexpectedSuccesses", []))
errors = len(result.errors)
skipped = len(result.skipped)
passed = result.testsRun - failures - errors - skipped
with open(out, "w") as f:
    json.dump({"ran": result.testsRun, "passed": passed, "failed": failures, "errors": errors, "skipped": skipped}, f)
