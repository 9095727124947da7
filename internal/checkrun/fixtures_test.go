package checkrun

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
