package analyze

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
)

// writeTree writes files (path -> content) under a new temporary folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const script = `import os, sys, json, antigravity
import yaml
import numpy as np
from sklearn.svm import SVC
from google.protobuf import message
from google.cloud import storage, bigquery
from azure.storage.blob import BlobClient
import helper, pkg.sub
from . import rel
try:
    import ujson
except ImportError:
    ujson = None
try:
    import yaml
except ImportError:
    pass
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import pandas
import distutils
def work():
    import requests
    importlib.import_module("dateutil.parser")
class K:
    def work(self):
        import mymod
`

// fakeIndex answers from a map and counts its calls.
type fakeIndex struct {
	answers map[string][]string
	err     error
	calls   []string
}

func (f *fakeIndex) ImportCandidates(_ context.Context, m string) (string, []string, error) {
	f.calls = append(f.calls, m)
	return "", f.answers[m], f.err
}

func TestRun(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"script.py": script, "helper.py": "", "pkg/__init__.py": "", "pkg/sub.py": "",
		"data/readme.txt": "",
	})
	src := filepath.Join(dir, "script.py")
	// The local modules the script imports at the top level are read too.
	followed := []string{filepath.Join(dir, "helper.py"), filepath.Join(dir, "pkg/__init__.py"), filepath.Join(dir, "pkg/sub.py")}
	tests := []struct {
		name     string
		o        Options
		want     Result
		followed []string
	}{
		{
			name: "all imports, Python 3.11",
			o:    Options{Python: "3.11"},
			want: Result{
				Python: "3.11",
				Modules: []string{"azure.storage.blob", "dateutil", "google.cloud.bigquery", "google.cloud.storage",
					"google.protobuf", "mymod", "numpy", "requests", "sklearn", "yaml"},
				Optional: []string{"ujson"},
				Requirements: []string{"azure-storage-blob", "google-cloud-bigquery", "google-cloud-storage",
					"mymod", "numpy", "protobuf", "python-dateutil", "PyYAML", "requests", "scikit-learn"},
				Unresolved: []string{"google.cloud.bigquery", "google.cloud.storage", "mymod"},
				Local:      []string{"helper", "pkg"},
			},
			followed: followed,
		},
		{
			name: "distutils left the standard library in 3.12",
			o:    Options{Python: "3.12", TopLevel: true},
			want: Result{
				Python: "3.12",
				Modules: []string{"azure.storage.blob", "distutils", "google.cloud.bigquery", "google.cloud.storage",
					"google.protobuf", "numpy", "sklearn", "yaml"},
				Optional: []string{"ujson"},
				Requirements: []string{"azure-storage-blob", "google-cloud-bigquery", "google-cloud-storage",
					"numpy", "protobuf", "PyYAML", "scikit-learn", "setuptools"},
				Unresolved: []string{"google.cloud.bigquery", "google.cloud.storage"},
				Local:      []string{"helper", "pkg"},
			},
			followed: followed,
		},
		{
			name: "function, mapping and extra",
			o: Options{Python: "3.11", Function: "work", Mappings: map[string]string{"dateutil": "my-dateutil"},
				Extra: []string{"gunicorn>=21"}},
			want: Result{
				Python:       "3.11",
				Modules:      []string{"dateutil", "mymod", "requests"},
				Optional:     []string{},
				Requirements: []string{"gunicorn>=21", "my-dateutil", "mymod", "requests"},
				Unresolved:   []string{"mymod"},
				Local:        []string{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Sources = []string{src}
			got, err := Run(context.Background(), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Sources = append([]string{src}, tt.followed...)
			if !reflect.DeepEqual(*got, tt.want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(tt.want, "", " ")
				t.Errorf("got %s\nwant %s", g, w)
			}
		})
	}
}

func TestMappingOrder(t *testing.T) {
	ix := &fakeIndex{answers: map[string][]string{
		"yaml":     {"yaml-from-index"},
		"mymod":    {"other", "mymod-dist", "MyMod"},
		"numpy":    {},
		"internal": {"corp-internal"},
	}}
	got, err := Run(context.Background(), Options{
		Sources:  []string{"-"},
		Stdin:    strings.NewReader("import yaml, mymod, numpy, internal, sklearn, unknown_thing\n"),
		Python:   "3.13",
		Index:    ix,
		Mappings: map[string]string{"sklearn": "sk-fork"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"corp-internal", "MyMod", "numpy", "sk-fork", "unknown_thing", "yaml-from-index"}
	if !reflect.DeepEqual(got.Requirements, want) {
		t.Errorf("requirements = %v, want %v", got.Requirements, want)
	}
	if !reflect.DeepEqual(got.Unresolved, []string{"unknown_thing"}) {
		t.Errorf("unresolved = %v", got.Unresolved)
	}
	for _, c := range ix.calls {
		if c == "sklearn" {
			t.Errorf("the index was asked about sklearn although --pkg-mapping named it")
		}
	}

	// An index that fails is asked once, then the table takes over.
	bad := &fakeIndex{err: errors.New("connection refused")}
	got, err = Run(context.Background(), Options{Sources: []string{"-"}, Python: "3.11", Index: bad,
		Stdin: strings.NewReader("import yaml, PIL, cv2\n")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"opencv-python", "Pillow", "PyYAML"}; !reflect.DeepEqual(got.Requirements, want) {
		t.Errorf("requirements with a failing index = %v, want %v", got.Requirements, want)
	}
	if len(bad.calls) != 1 {
		t.Errorf("failing index asked %d times, want 1", len(bad.calls))
	}
}

func TestProjectFolder(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"setup.py":                    "from setuptools import setup\n",
		"tools/run.py":                "import toolhelper, click\nimport myproj.core\n",
		"tools/toolhelper.py":         "",
		"src/myproj/__init__.py":      "from .core import x\n",
		"src/myproj/core.py":          "import attr\nfrom myproj import util\n",
		"src/myproj/util/__init__.py": "import bs4\n",
		".venv/lib/site.py":           "import should_not_be_seen\n",
		"build/lib/x.py":              "import should_not_be_seen\n",
		"tests/test_core.py":          "import pytest\nimport myproj\n",
	})
	got, err := Run(context.Background(), Options{Sources: []string{dir}, Python: "3.11"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"attr", "bs4", "click", "pytest", "setuptools"}; !reflect.DeepEqual(got.Modules, want) {
		t.Errorf("modules = %v, want %v", got.Modules, want)
	}
	if want := []string{"attrs", "beautifulsoup4", "click", "pytest", "setuptools"}; !reflect.DeepEqual(got.Requirements, want) {
		t.Errorf("requirements = %v, want %v", got.Requirements, want)
	}
	if want := []string{"myproj", "toolhelper"}; !reflect.DeepEqual(got.Local, want) {
		t.Errorf("local = %v, want %v", got.Local, want)
	}
	if len(got.Sources) != 7 {
		t.Errorf("sources = %v, want the 7 files outside .venv and build", got.Sources)
	}
}

func TestFileInsidePackage(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"top/__init__.py":     "",
		"top/mid/__init__.py": "",
		"top/mid/mod.py":      "import top.other, sibling, jinja2\n",
		"top/mid/sibling.py":  "",
	})
	got, err := Run(context.Background(), Options{Sources: []string{filepath.Join(dir, "top/mid/mod.py")}, Python: "3.11"})
	if err != nil {
		t.Fatal(err)
	}
	// Inside a package, sibling is not importable as a top-level name: only "top" is local.
	if want := []string{"jinja2", "sibling"}; !reflect.DeepEqual(got.Modules, want) {
		t.Errorf("modules = %v, want %v", got.Modules, want)
	}
	if want := []string{"top"}; !reflect.DeepEqual(got.Local, want) {
		t.Errorf("local = %v, want %v", got.Local, want)
	}
}

func TestGeneratedSiblingFallback(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"pkg/__init__.py": "",
		"pkg/Parser.py":   "",
		"pkg/Listener.py": "from antlr4 import X\nif \".\" in __name__:\n    from .Parser import Parser\nelse:\n    from Parser import Parser\nimport yaml\n",
	})
	got, err := Run(context.Background(), Options{Sources: []string{filepath.Join(dir, "pkg/Listener.py")}, Python: "3.11"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"antlr4", "yaml"}; !reflect.DeepEqual(got.Modules, want) {
		t.Errorf("modules = %v, want %v", got.Modules, want)
	}
}

func TestErrors(t *testing.T) {
	for _, o := range []Options{
		{Sources: []string{"/nonexistent/x.py"}, Python: "3.11"},
		{Sources: []string{"-"}, Python: "2.6", Stdin: strings.NewReader("")},
		{Sources: []string{"-"}, Python: "3.11", Stdin: strings.NewReader(""), TopLevel: true, Function: "f"},
		{Sources: []string{"-"}, Python: "3.11", Stdin: strings.NewReader("def g(): import x\n"), Function: "f"},
	} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("Run(%+v) succeeded", o)
		}
	}
	_, err := Run(context.Background(), Options{Sources: []string{"/nonexistent/x.py"}, Python: "3.11"})
	if !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("missing source: err = %v, want ErrNotFound", err)
	}
	// A syntax error still gives the imports read before and after it.
	got, err := Run(context.Background(), Options{Sources: []string{"-"}, Python: "3.11",
		Stdin: strings.NewReader("import yaml\nprint 'py2'\nimport jinja2\n")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"jinja2", "yaml"}; !reflect.DeepEqual(got.Modules, want) {
		t.Errorf("modules of a file with a syntax error = %v, want %v", got.Modules, want)
	}
}

func TestHTTPIndex(t *testing.T) {
	var gotPaths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPaths = append(gotPaths, r.URL.RequestURI())
		// like every pydepot client's request, so the server sees the client's version
		if ua, v := r.Header.Get("User-Agent"), r.Header.Get(buildinfo.VersionHeader); ua != buildinfo.UserAgent() || v != buildinfo.Version {
			t.Errorf("%s: User-Agent %q, %s %q; want %q and %q", r.URL.Path, ua, buildinfo.VersionHeader, v, buildinfo.UserAgent(), buildinfo.Version)
		}
		switch r.URL.Path {
		case "/api/imports/yaml":
			w.Write([]byte(`{"module":"yaml","distribution":"main","projects":["pyyaml"]}`))
		case "/api/imports/google.protobuf":
			w.Write([]byte(`["protobuf"]`))
		case "/api/imports/broken":
			w.Write([]byte(`<html>`))
		case "/api/imports/boom":
			http.Error(w, "internal", http.StatusInternalServerError)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	ix, err := NewHTTPIndex(srv.URL+"/team/dev/simple/", "", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := ix.ImportCandidates(ctx, "yaml"); err != nil || !reflect.DeepEqual(got, []string{"pyyaml"}) {
		t.Errorf("yaml: %v, %v", got, err)
	}
	if gotPaths[0] != "/api/imports/yaml?distribution=team%2Fdev" {
		t.Errorf("asked %s", gotPaths[0])
	}
	if _, got, err := ix.ImportCandidates(ctx, "google.protobuf"); err != nil || !reflect.DeepEqual(got, []string{"protobuf"}) {
		t.Errorf("google.protobuf: %v, %v", got, err)
	}
	if _, got, err := ix.ImportCandidates(ctx, "nothing"); err != nil || got != nil {
		t.Errorf("404: %v, %v", got, err)
	}
	if _, _, err := ix.ImportCandidates(ctx, "broken"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad JSON: err = %v", err)
	}
	if _, _, err := ix.ImportCandidates(ctx, "boom"); err == nil {
		t.Errorf("500: no error")
	}
	root, _ := NewHTTPIndex(srv.URL, "", nil)
	if root.root != srv.URL || root.distribution != "" {
		t.Errorf("root URL parsed as %q %q", root.root, root.distribution)
	}
	for _, bad := range []string{"ftp://x", "not a url", "http://"} {
		if _, err := NewHTTPIndex(bad, "", nil); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("NewHTTPIndex(%q) err = %v", bad, err)
		}
	}
}

func TestKey(t *testing.T) {
	tb := BuiltinTable()
	tests := []struct {
		module string
		names  []string
		want   []string
	}{
		{"yaml", nil, []string{"yaml"}},
		{"os.path", nil, []string{"os"}},
		{"google.protobuf.message", nil, []string{"google.protobuf"}},
		{"google", []string{"protobuf", "auth"}, []string{"google.protobuf", "google.auth"}},
		{"google", nil, []string{"google"}},
		{"google.cloud", []string{"storage"}, []string{"google.cloud.storage"}},
		{"google.cloud.storage.blob", nil, []string{"google.cloud.storage"}},
		{"azure.mgmt.compute.models", nil, []string{"azure.mgmt.compute"}},
		{"azure.identity", nil, []string{"azure.identity"}},
		{"zope.interface", nil, []string{"zope.interface"}},
		{"mpl_toolkits", []string{"mplot3d"}, []string{"mpl_toolkits.mplot3d"}},
		{"google", []string{"*"}, []string{"google"}},
	}
	for _, tt := range tests {
		if got := tb.Key(tt.module, tt.names); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Key(%q, %v) = %v, want %v", tt.module, tt.names, got, tt.want)
		}
	}
	for imp, dist := range map[string]string{"yaml": "PyYAML", "sklearn": "scikit-learn", "PIL": "Pillow",
		"cv2": "opencv-python", "attr": "attrs", "dateutil": "python-dateutil", "google.protobuf": "protobuf",
		"bs4": "beautifulsoup4"} {
		if got, _ := tb.Lookup(imp); got != dist {
			t.Errorf("table[%s] = %q, want %q", imp, got, dist)
		}
	}
	if n := len(tb.dists); n < 100 {
		t.Errorf("built-in table has %d entries, want 100+", n)
	}
}
