package checkrun_test

// The fixture packages, written by test code: their setup.py only ever runs inside the
// sandbox.

const benignSetup = `from setuptools import setup
setup(name="benign", version="1.0", packages=["benign"], install_requires=["helperlib"])
`

var benignFiles = map[string]string{
	"setup.py":           benignSetup,
	"benign/__init__.py": "import helperlib\n\n\ndef add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return helperlib.times(a, b)\n",
	"tests/__init__.py":  "",
	"tests/test_benign.py": `import unittest

import benign


class TestBenign(unittest.TestCase):
    def test_add(self):
        self.assertEqual(benign.add(2, 3), 5)

    def test_mul(self):
        self.assertEqual(benign.mul(2, 3), 6)

    def test_add_strings(self):
        self.assertEqual(benign.add("a", "b"), "ab")
`,
}

// helperlib is benign's dependency, a wheel on the index.
var helperlibFiles = map[string]string{"helperlib.py": "def times(a, b):\n    return a * b\n"}

// brokenFiles: setup.py does not parse, so the build fails at its first hook.
var brokenFiles = map[string]string{
	"setup.py":           "from setuptools import setup\nsetup(name='broken', version='1.0'\n",
	"broken/__init__.py": "",
}

// hookedFiles: a wheel with a module and a .pth that runs code at every interpreter start.
var hookedFiles = map[string]string{
	"hooked/__init__.py": "VALUE = 1\n",
	"hooked_init.pth":    "import os; os.environ.setdefault('HOOKED', '1')\n",
}

// sleeperFiles: setup.py sleeps forever.
var sleeperFiles = map[string]string{
	"setup.py":            "import time\ntime.sleep(10**6)\n",
	"sleeper/__init__.py": "",
}

// forkerFiles: setup.py forks without end; each child sleeps. A fork the sandbox refuses
// is tried again. (The loop stops at 5000 children, far over the limit of the test, so a
// sandbox without a process limit fails the test instead of filling the machine.)
var forkerFiles = map[string]string{
	"setup.py": `import os, time
children = 0
while children < 5000:
    try:
        pid = os.fork()
    except OSError:
        time.sleep(0.01)
        continue
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    children += 1
`,
	"forker/__init__.py": "",
}

// hostileSetup tries a connection, writes into HOME, drops a file in /tmp, reads a decoy
// credential and spawns a shell, then builds normally. MARK makes its files findable.
const hostileSetup = `import os, socket, subprocess
MARK = "@MARK@"
try:
    socket.create_connection(("203.0.113.7", 80), timeout=3).close()
except OSError as e:
    print("connect failed:", e)
with open(os.path.join(os.path.expanduser("~"), ".hostile-" + MARK), "w") as f:
    f.write("was here\n")
with open("/tmp/hostile-" + MARK, "w") as f:
    f.write("was here\n")
try:
    with open(os.path.expanduser("~/.aws/credentials")) as f:
        stolen = f.read()
except OSError:
    pass
subprocess.call(["/bin/sh", "-c", "echo spawned a shell"])
from setuptools import setup
setup(name="hostile", version="1.0", packages=["hostile"])
`
