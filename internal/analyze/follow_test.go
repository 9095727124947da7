package analyze

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestFollowLocalModules: a script's local modules and packages are read too,
// transitively, as ModuleFinder would reach them; a module nothing imports is not.
func TestFollowLocalModules(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.py":          "import helper\nfrom pkg import mod\nimport pkg2.sub.leaf\n",
		"helper.py":        "import pandas\nimport main\n", // a cycle back to the script
		"pkg/__init__.py":  "",
		"pkg/mod.py":       "import requests\nfrom .inner import x\nfrom . import sibling\n",
		"pkg/inner.py":     "import yaml\n",
		"pkg/sibling.py":   "def f():\n    import scipy\n",
		"pkg2/sub/leaf.py": "import toml\n", // namespace folders, no __init__.py
		"unused.py":        "import flask\n",
	})
	got, err := Run(context.Background(), Options{Sources: []string{filepath.Join(dir, "main.py")}, Python: "3.11"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"pandas", "requests", "scipy", "toml", "yaml"}; !reflect.DeepEqual(got.Modules, want) {
		t.Errorf("modules = %v, want %v", got.Modules, want)
	}
	if want := []string{"helper", "main", "pkg", "pkg2"}; !reflect.DeepEqual(got.Local, want) {
		t.Errorf("local = %v, want %v", got.Local, want)
	}
	if len(got.Sources) != 7 {
		t.Errorf("sources = %v, want main.py and the 6 files it reaches", got.Sources)
	}
	// --toplevel: the imports inside defs of the reached files are left out too.
	got, err = Run(context.Background(), Options{Sources: []string{filepath.Join(dir, "main.py")}, Python: "3.11", TopLevel: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"pandas", "requests", "toml", "yaml"}; !reflect.DeepEqual(got.Modules, want) {
		t.Errorf("--toplevel modules = %v, want %v", got.Modules, want)
	}
	// The project folder reads every file.
	got, err = Run(context.Background(), Options{Sources: []string{dir}, Python: "3.11"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"flask", "pandas", "requests", "scipy", "toml", "yaml"}; !reflect.DeepEqual(got.Modules, want) {
		t.Errorf("project modules = %v, want %v", got.Modules, want)
	}
}

// TestFollowIsBounded: a chain of local modules longer than the limit stops with a
// warning instead of reading without end.
func TestFollowIsBounded(t *testing.T) {
	dir := t.TempDir()
	for i := range maxFollowed + 10 {
		src := fmt.Sprintf("import m%d\n", i+1)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%d.py", i)), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	got, err := Run(context.Background(), Options{Sources: []string{filepath.Join(dir, "m0.py")}, Python: "3.11",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sources) != maxFollowed+1 || !strings.Contains(logs.String(), "stopped following") {
		t.Errorf("%d sources, logs %q", len(got.Sources), logs.String())
	}
	big := filepath.Join(dir, "big.py")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#\n"), maxFileSize/2+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Sources: []string{big}, Python: "3.11"}); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("a %d byte source: %v", maxFileSize+2, err)
	}
}

// TestSeveralSourcesKeepTheirLocals: a module beside one script is not local to
// another script in another folder.
func TestSeveralSourcesKeepTheirLocals(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a/main.py": "import util\n",
		"a/util.py": "import numpy\n",
		"b/job.py":  "import util\nimport attr\n",
	})
	got, err := Run(context.Background(), Options{
		Sources: []string{filepath.Join(dir, "a/main.py"), filepath.Join(dir, "b/job.py")}, Python: "3.11"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"attr", "numpy", "util"}; !reflect.DeepEqual(got.Modules, want) {
		t.Errorf("modules = %v, want %v", got.Modules, want)
	}
	if want := []string{"util"}; !reflect.DeepEqual(got.Local, want) {
		t.Errorf("local = %v, want %v", got.Local, want)
	}
}

// TestPython2Warning: Python 2 source gives a warning that names the construct and
// its line, as the help promises.
func TestPython2Warning(t *testing.T) {
	var logs bytes.Buffer
	_, err := Run(context.Background(), Options{Sources: []string{"-"}, Python: "3.11",
		Stdin:  strings.NewReader("import yaml\n\nprint 'hello'\n"),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if l := logs.String(); !strings.Contains(l, "Python 2") || !strings.Contains(l, "line=3") || !strings.Contains(l, "print statement") {
		t.Errorf("logs = %q", l)
	}
	logs.Reset()
	if _, err := Run(context.Background(), Options{Sources: []string{"-"}, Python: "3.11",
		Stdin: strings.NewReader("print('hello')\n"), Logger: slog.New(slog.NewTextHandler(&logs, nil))}); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Errorf("Python 3 source logged %q", logs.String())
	}
}

// TestOldPythons: 2.7, 3.6 and 3.7 have standard library lists, so the seed's own
// example analyzes for 3.7 as create builds it; a Python 2 script targeting 2.7 gets
// no Python 2 warning.
func TestOldPythons(t *testing.T) {
	example := "import os\nimport sys\nimport pickle\n\nimport antigravity\nimport matplotlib\n"
	for _, tt := range []struct{ python, src, want string }{
		{"3.7", example, "matplotlib"},
		{"3.6", example + "import dataclasses\n", "dataclasses,matplotlib"},
		{"3.7", example + "import dataclasses\n", "matplotlib"},
		{"2.7", "import urllib2, Tkinter, ConfigParser\nimport requests\nprint 'hi'\n", "requests"},
	} {
		var logs bytes.Buffer
		got, err := Run(context.Background(), Options{Sources: []string{"-"}, Python: tt.python,
			Stdin: strings.NewReader(tt.src), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatalf("%s: %v", tt.python, err)
		}
		if m := strings.Join(got.Modules, ","); m != tt.want {
			t.Errorf("%s: modules %s, want %s", tt.python, m, tt.want)
		}
		if strings.Contains(logs.String(), "Python 2") {
			t.Errorf("%s: %s", tt.python, logs.String())
		}
	}
}

// TestPython2ImplicitRelative: for a 2.7 target, `import helper` inside a package
// is the package's own helper.py (implicit relative import), followed and local;
// for Python 3 it is an absolute import.
func TestPython2ImplicitRelative(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.py":         "from app import core\n",
		"app/__init__.py": "",
		"app/core.py":     "import helper\n",
		"app/helper.py":   "import simplejson\n",
	})
	for python, want := range map[string]string{"2.7": "simplejson", "3.11": "helper"} {
		got, err := Run(context.Background(), Options{Sources: []string{filepath.Join(dir, "main.py")}, Python: python})
		if err != nil {
			t.Fatal(err)
		}
		if m := strings.Join(got.Modules, ","); m != want {
			t.Errorf("%s: modules %s, want %s", python, m, want)
		}
	}
}
