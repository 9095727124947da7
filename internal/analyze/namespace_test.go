package analyze

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/client"
	"github.com/pydepot/pydepot/internal/testserver"
)

const walPkgutil = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"

// buildWheel writes a real wheel (zip with a dist-info: METADATA, WHEEL,
// top_level.txt and a RECORD with digests) of project==version holding files.
func buildWheel(t *testing.T, dir, project, version string, topLevel []string, files map[string]string) string {
	t.Helper()
	dist := strings.ReplaceAll(project, "-", "_")
	di := dist + "-" + version + ".dist-info/"
	all := map[string]string{
		di + "METADATA":      "Metadata-Version: 2.1\nName: " + project + "\nVersion: " + version + "\nSummary: test wheel\n\n",
		di + "WHEEL":         "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		di + "top_level.txt": strings.Join(topLevel, "\n") + "\n",
	}
	for k, v := range files {
		all[k] = v
	}
	path := filepath.Join(dir, dist+"-"+version+"-py3-none-any.whl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	var record strings.Builder
	write := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range sortedKeys(mapKeys(all)) {
		sum := sha256.Sum256([]byte(all[name]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", name, base64.RawURLEncoding.EncodeToString(sum[:]), len(all[name]))
		write(name, all[name])
	}
	record.WriteString(di + "RECORD,,\n")
	write(di+"RECORD", record.String())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func mapKeys(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// walt wheels as the WalT layout has them: each ships walt/__init__.py (pkgutil)
// and walt/<part>/; walt-client's walt.client is a namespace too, for the
// walt-client-g5k plugin.
func waltWheels(t *testing.T, dir string) []string {
	var out []string
	for _, part := range []string{"client", "common", "doc", "server"} {
		files := map[string]string{
			"walt/__init__.py":                   walPkgutil,
			"walt/" + part + "/__init__.py":      "",
			"walt/" + part + "/" + part + "x.py": "X = 1\n",
		}
		if part == "client" {
			files["walt/client/__init__.py"] = walPkgutil
		}
		out = append(out, buildWheel(t, dir, "walt-"+part, "8.0", []string{"walt"}, files))
	}
	out = append(out, buildWheel(t, dir, "walt-client-g5k", "8.0", []string{"walt"}, map[string]string{
		"walt/__init__.py":            walPkgutil,
		"walt/client/__init__.py":     walPkgutil,
		"walt/client/g5k/__init__.py": "",
		"walt/client/g5k/platform.py": "",
	}))
	return out
}

// TestNamespaceProjects uploads the WalT wheels over HTTP to a real in-process
// pydepot server: /api/imports/walt.client answers walt-client only, and analyze
// maps each dotted import to the project that provides that subpackage; a bare
// `import walt`, which all provide, is never resolved silently.
func TestNamespaceProjects(t *testing.T) {
	ctx := context.Background()
	srv := testserver.Start(t, testserver.Options{})
	c := client.New(srv.URL, srv.Admin, srv.Client())
	for _, w := range waltWheels(t, t.TempDir()) {
		if _, err := c.Upload(ctx, "main", w); err != nil {
			t.Fatalf("upload %s: %v", w, err)
		}
	}

	for module, want := range map[string][]string{
		"walt.client":       {"walt-client"},
		"walt.client.cli":   {"walt-client"},
		"walt.common":       {"walt-common"},
		"walt.client.g5k":   {"walt-client-g5k"},
		"walt":              {"walt-client", "walt-client-g5k", "walt-common", "walt-doc", "walt-server"},
		"walt.nothing_here": {"walt-client", "walt-client-g5k", "walt-common", "walt-doc", "walt-server"},
	} {
		ans, err := c.ImportCandidates(ctx, module, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ans.Projects, want) {
			t.Errorf("/api/imports/%s = %v, want %v", module, ans.Projects, want)
		}
	}

	ix, err := NewHTTPIndex(srv.URL, "", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		src        string
		reqs       []string
		unresolved []string
	}{
		{"from walt.client import X\nimport walt.common\n", []string{"walt-client", "walt-common"}, nil},
		{"from walt import server, doc\nimport walt.client.g5k.platform\n", []string{"walt-client-g5k", "walt-doc", "walt-server"}, nil},
		{"import walt\nimport walt.doc\n", []string{"walt-doc"}, nil},
		{"import walt\n", []string{"walt-client"}, []string{"walt"}},
	} {
		got, err := Run(ctx, Options{Sources: []string{"-"}, Python: "3.11", Index: ix, Stdin: strings.NewReader(tt.src)})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(got)
		if !reflect.DeepEqual(got.Requirements, tt.reqs) || !reflect.DeepEqual(got.Unresolved, append([]string{}, tt.unresolved...)) {
			t.Errorf("%q: requirements %v unresolved %v, want %v and %v\n%s", tt.src, got.Requirements, got.Unresolved, tt.reqs, tt.unresolved, b)
		}
		if len(tt.unresolved) > 0 && len(got.Candidates["walt"]) != 5 {
			t.Errorf("%q: the ambiguous walt lists candidates %v", tt.src, got.Candidates)
		}
	}
	// A cctools "modules" list (create's input) is mapped by the same rules as the
	// imports of sources: MapModules answers what Run answers for `import M` lines.
	for _, mods := range [][]string{
		{"walt.client", "walt.common"},
		{"walt", "walt.doc"},
		{"walt"},
		{"os", "__main__", "walt.server", "walt.client.g5k", "nowhere_to_be_found"},
	} {
		src := ""
		for _, m := range mods {
			src += "import " + m + "\n"
		}
		want, err := Run(ctx, Options{Sources: []string{"-"}, Python: "3.11", Index: ix, Stdin: strings.NewReader(src)})
		if err != nil {
			t.Fatal(err)
		}
		want.Sources = []string{}
		got, err := MapModules(ctx, mods, Options{Python: "3.11", Index: ix})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("MapModules(%v) = %s, want (as Run) %s", mods, g, w)
		}
	}
	// --pkg-mapping settles a dotted name too, before the index.
	got, err := Run(ctx, Options{Sources: []string{"-"}, Python: "3.11", Index: ix,
		Mappings: map[string]string{"walt.doc": "walt-doc-fork"},
		Stdin:    strings.NewReader("import walt.doc\nimport walt.common\n")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"walt-common", "walt-doc-fork"}; !reflect.DeepEqual(got.Requirements, want) {
		t.Errorf("with --pkg-mapping walt.doc=walt-doc-fork: requirements %v, want %v", got.Requirements, want)
	}
}
