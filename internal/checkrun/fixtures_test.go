package checkrun

// The fixture packages, written by test code: their setup.py only ever runs inside the
// sandbox.

const benignSetup = `from setuptools import setup
setup(name="benign", version="1.0", packages=["benign"])
`

var benignFiles = map[string]string{
	"setup.py":           benignSetup,
	"benign/__init__.py": "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n",
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
