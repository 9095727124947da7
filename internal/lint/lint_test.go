package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
)

// TestFile: each check on a small module, and the near misses that must stay quiet.
func TestFile(t *testing.T) {
	for _, tc := range []struct {
		name, rel, src string
		want           []string // substrings of the findings, in order; nil = none
		sev            checkreport.Severity
	}{
		{"syntax error", "m.py", "def f(:\n    pass\n", []string{"m.py:1: syntax error"}, checkreport.Medium},
		{"unused import", "m.py", "import os\nimport sys\nprint(sys.argv)\n", []string{"m.py:1: os imported but unused"}, checkreport.Low},
		{"unused dotted and from", "m.py", "import os.path\nfrom a import b as c\n", []string{"os.path imported but unused", "b imported but unused"}, checkreport.Low},
		{"redefinition", "m.py", "import json\nfrom x import json\njson.dumps(1)\n", []string{"m.py:2: redefinition of unused json from line 1"}, checkreport.Low},
		{"star", "m.py", "from os.path import *\n", []string{"from os.path import *"}, checkreport.Info},
		{"used in a def", "m.py", "import os\n\ndef f():\n    return os.getcwd()\n", nil, ""},
		{"used in a decorator and a header", "m.py", "import functools\nimport typing\n@functools.cache\ndef f(x: typing.Any):\n    pass\n", nil, ""},
		{"used in an f-string", "m.py", "import os\nprint(f'{os.sep}')\n", nil, ""},
		{"exported", "m.py", "from .a import b\n__all__ = ['b']\n", nil, ""},
		{"__init__ re-exports", "pkg/__init__.py", "from .a import b\n", nil, ""},
		{"future", "m.py", "from __future__ import annotations\n", nil, ""},
		{"try fallback", "m.py", "try:\n    import json\nexcept ImportError:\n    import simplejson as json\njson.dumps(1)\n", nil, ""},
		{"attribute of the same name is no use", "m.py", "import os\nx.os = 1\n", []string{"os imported but unused"}, checkreport.Low},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := File(tc.rel, []byte(tc.src))
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %q", got, tc.want)
			}
			for i, f := range got {
				if !strings.Contains(f.Detail, tc.want[i]) || f.Severity != tc.sev || f.Kind != checkreport.Lint || f.Task != checkreport.StepLint {
					t.Errorf("finding %d: %+v, want %q (%s)", i, f, tc.want[i], tc.sev)
				}
			}
		})
	}
}

// TestDir: the .py files of a folder, and the bounds.
func TestDir(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"a.py": "import os\n", "b.py": "x = (\n", "c.txt": "import os\n", "d.py": strings.Repeat("#", 3000)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Dir(context.Background(), dir)
	if err != nil || len(got) != 2 || got[1].Severity != checkreport.Medium {
		t.Fatalf("Dir: %+v, %v", got, err)
	}
	got, err = Limits{Files: 100, FileBytes: 1000, Bytes: 1 << 20, Findings: 100}.Dir(context.Background(), dir)
	if err != nil || len(got) != 3 || !strings.Contains(got[2].Detail, "d.py: not linted") {
		t.Fatalf("FileBytes: %+v, %v", got, err)
	}
	got, err = Limits{Files: 100, FileBytes: 1 << 20, Bytes: 1 << 20, Findings: 1}.Dir(context.Background(), dir)
	if err != nil || len(got) != 2 || !strings.Contains(got[1].Detail, "lint stopped") {
		t.Fatalf("Findings: %+v, %v", got, err)
	}
	if _, err := Dir(context.Background(), filepath.Join(dir, "a.py")); err == nil {
		t.Errorf("a file as root gave no error")
	}
}

// FuzzFile: lint never panics and names the file in every finding.
func FuzzFile(f *testing.F) {
	for _, s := range []string{"", "import", "from . import *", "import a as", "__all__ = [", "import os\nimport os\n", "def f(:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, fd := range File("m.py", []byte(src)) {
			if !strings.HasPrefix(fd.Detail, "m.py:") {
				t.Fatalf("bad finding %+v", fd)
			}
		}
	})
}
