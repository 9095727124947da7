package filenames

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/testdist"
)

func tagStrings(d Dist) []string {
	var out []string
	for _, t := range d.Tags {
		out = append(out, t.String())
	}
	return out
}

func TestParse(t *testing.T) {
	cases := []struct {
		in                        string
		kind                      Kind
		name, version, build, ext string
		tags                      []string
	}{
		{"pip-23.0.1-py3-none-any.whl", KindWheel, "pip", "23.0.1", "", ".whl", []string{"py3-none-any"}},
		{"six-1.16.0-py2.py3-none-any.whl", KindWheel, "six", "1.16.0", "", ".whl", []string{"py2-none-any", "py3-none-any"}},
		{"numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", KindWheel, "numpy", "1.26.4", "", ".whl",
			[]string{"cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"}},
		{"foo_bar-1.0-1-py3-none-any.whl", KindWheel, "foo_bar", "1.0", "1", ".whl", []string{"py3-none-any"}},
		{"foo-1.0-12abc-py3-none-any.whl", KindWheel, "foo", "1.0", "12abc", ".whl", []string{"py3-none-any"}},
		{"zope.interface-5.4.0-cp39-cp39-win_amd64.whl", KindWheel, "zope.interface", "5.4.0", "", ".whl", []string{"cp39-cp39-win_amd64"}},
		{"Foo-1.0rc1+local.1-PY3-NONE-ANY.whl", KindWheel, "Foo", "1.0rc1+local.1", "", ".whl", []string{"py3-none-any"}},
		{"foo-1.0_beta_2-py3-none-any.whl", KindWheel, "foo", "1.0b2", "", ".whl", []string{"py3-none-any"}},
		{"requests-2.31.0.tar.gz", KindSdist, "requests", "2.31.0", "", ".tar.gz", nil},
		{"Django-4.2.zip", KindSdist, "Django", "4.2", "", ".zip", nil},
		{"zope.interface-5.4.0.tar.gz", KindSdist, "zope.interface", "5.4.0", "", ".tar.gz", nil},
		{"foo-bar-1.0.tar.gz", KindSdist, "foo-bar", "1.0", "", ".tar.gz", nil},
		{"foo-bar-1.0-1.tar.gz", KindSdist, "foo-bar-1.0", "1", "", ".tar.gz", nil},
		{"foo-1.0-beta.tar.gz", KindSdist, "foo", "1.0b0", "", ".tar.gz", nil}, // packaging rejects: last part "beta"
		{"python-dateutil-2.8.2.tar.gz", KindSdist, "python-dateutil", "2.8.2", "", ".tar.gz", nil},
		{"foo2-2.tar.gz", KindSdist, "foo2", "2", "", ".tar.gz", nil},
	}
	for _, c := range cases {
		d, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if d.Filename != c.in || d.Kind != c.kind || d.Name != c.name || d.Version.String() != c.version || d.Build != c.build || d.Ext != c.ext || !slices.Equal(tagStrings(d), c.tags) {
			t.Errorf("Parse(%q) = %+v (version %s, tags %v)", c.in, d, d.Version, tagStrings(d))
		}
	}
}

func TestParseInvalid(t *testing.T) {
	cases := []struct{ in, why string }{
		{"", "unknown extension"},
		{"foo-1.0.egg", "unknown extension"},
		{"foo-1.0.tar.bz2", "unknown extension"},
		{"foo-1.0.TAR.GZ", "unknown extension"},
		{"foo-1.0.exe", "unknown extension"},
		{"../foo-1.0.tar.gz", "path separator"},
		{"dir/foo-1.0-py3-none-any.whl", "path separator"},
		{`..\foo-1.0.zip`, "path separator"},
		{"foo-1.0.tar.gz\x00", "control character"},
		{"foo -1.0.tar.gz", "white space"},
		{"foo.tar.gz", "name-version"},
		{"foo-bar.tar.gz", "no valid version"},
		{"-1.0.tar.gz", "invalid project name"},
		{"foo_-1.0.zip", "invalid project name"},
		{"fö-1.0.tar.gz", "invalid project name"},
		{"foo-1.0-py3-none.whl", "5 or 6"},
		{"foo-1.0-1-2-py3-none-any.whl", "5 or 6"},
		{"foo-py3-none-any.whl", "5 or 6"},
		{"foo__bar-1.0-py3-none-any.whl", "invalid project name"},
		{"foo.-1.0-py3-none-any.whl", "invalid project name"},
		{"fo+o-1.0-py3-none-any.whl", "invalid project name"},
		{"foo-1.0.x-py3-none-any.whl", "invalid version"},
		{"foo-1.0-abc-py3-none-any.whl", "build tag"},
		{"foo-1.0-1a-b-py3-none-any.whl", "5 or 6"},
		{"foo-1.0-1+x-py3-none-any.whl", "build tag"},
		{"foo-1.0-py3-none-.whl", "invalid tags"},
		{"foo-1.0-py3..py2-none-any.whl", "invalid tags"},
		{"foo-1.0-py3-none-any!.whl", "invalid tags"},
	}
	for _, c := range cases {
		d, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", c.in, d)
			continue
		}
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("Parse(%q): %v; want ErrInvalid saying %q", c.in, err, c.why)
		}
	}
}

func TestBuildNumber(t *testing.T) {
	for _, c := range []struct {
		build string
		n     int
		rest  string
	}{{"", 0, ""}, {"1", 1, ""}, {"12abc", 12, "abc"}, {"007_x", 7, "_x"}} {
		n, rest := Dist{Build: c.build}.BuildNumber()
		if n != c.n || rest != c.rest {
			t.Errorf("BuildNumber(%q) = %d, %q", c.build, n, rest)
		}
	}
	if got := (Dist{Name: "Zope.Interface"}).Project(); got != "zope-interface" {
		t.Errorf("Project = %q", got)
	}
}

// realFilenames returns wheel file names found on disk, wheel names made from each
// installed .dist-info directory and the tags of its WHEEL file, and sdist names made
// from the installed distributions.
func realFilenames(t *testing.T) (wheels, sdists []string) {
	t.Helper()
	found, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
	for _, pat := range []string{"lib/python*/ensurepip/_bundled/*.whl", "lib/python*/test/*.whl", "lib/python*/test/*/*.whl"} {
		found = append(found, testdist.GlobPrefixes(pat)...)
	}
	for _, p := range found {
		wheels = append(wheels, filepath.Base(p))
	}
	infos := testdist.GlobPrefixes("lib/python*/site-packages/*.dist-info")
	debian, _ := filepath.Glob("/usr/lib/python3/dist-packages/*.dist-info")
	infos = append(infos, debian...)
	for _, dir := range infos {
		stem := strings.TrimSuffix(filepath.Base(dir), ".dist-info")
		sdists = append(sdists, stem+".tar.gz", stem+".zip")
		f, err := os.Open(filepath.Join(dir, "WHEEL"))
		if err != nil {
			continue
		}
		sets := [3][]string{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if tag, ok := strings.CutPrefix(sc.Text(), "Tag: "); ok {
				for i, p := range strings.SplitN(tag, "-", 3) {
					if !slices.Contains(sets[i], p) {
						sets[i] = append(sets[i], p)
					}
				}
			}
		}
		f.Close()
		if len(sets[0]) == 0 {
			continue
		}
		wheels = append(wheels, stem+"-"+strings.Join(sets[0], ".")+"-"+strings.Join(sets[1], ".")+"-"+strings.Join(sets[2], ".")+".whl")
	}
	if len(wheels) < 100 {
		t.Fatalf("only %d real wheel names", len(wheels))
	}
	return wheels, sdists
}

// TestAgainstPackaging compares with packaging.utils.parse_wheel_filename and
// parse_sdist_filename on real names and on the table cases.
func TestAgainstPackaging(t *testing.T) {
	wheels, sdists := realFilenames(t)
	all := append(append([]string{}, wheels...), sdists...)
	extra := []string{"foo-1.0-1-py3-none-any.whl", "foo__bar-1.0-py3-none-any.whl", "foo-1.0.x-py3-none-any.whl",
		"foo-1.0-abc-py3-none-any.whl", "foo-bar-1.0-1.tar.gz", "foo-bar.tar.gz", "foo.tar.gz", "Foo-1.0rc1+local.1-PY3-NONE-ANY.whl"}
	all = append(all, extra...)
	cmd := exec.Command(testdist.Python(t, "3.13"), "testdata/packaging_filenames.py")
	cmd.Stdin = strings.NewReader(strings.Join(all, "\n"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference python: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(all) {
		t.Fatalf("%d answers for %d names", len(lines), len(all))
	}
	for i, fn := range all {
		var want []any
		if err := json.Unmarshal([]byte(lines[i]), &want); err != nil {
			t.Fatal(err)
		}
		d, err := Parse(fn)
		switch {
		case want == nil && err == nil:
			t.Errorf("Parse(%q) = %+v, packaging rejects it", fn, d)
		case want != nil && err != nil:
			t.Errorf("Parse(%q): %v, packaging accepts it", fn, err)
		case want != nil:
			ts := tagStrings(d)
			sort.Strings(ts)
			var wantTags []string
			if wt, ok := want[3].([]any); ok {
				for _, x := range wt {
					wantTags = append(wantTags, x.(string))
				}
			}
			if d.Project() != want[0] || d.Version.String() != want[1] || d.Build != want[2] || !slices.Equal(ts, wantTags) {
				t.Errorf("Parse(%q) = %s %s %q %v, packaging %v", fn, d.Project(), d.Version, d.Build, ts, want)
			}
		}
	}
	t.Logf("%d wheel and %d sdist names agree with packaging", len(wheels), len(sdists))
}

// TestBuiltDistributions builds an sdist and a wheel with python3 -m build and parses
// their names.
func TestBuiltDistributions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a package")
	}
	py := testdist.DebianBuildPython(t)
	dir := t.TempDir()
	files := map[string]string{
		"pyproject.toml": "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n",
		"setup.cfg":      "[metadata]\nname = Pydepot_Test.Pkg\nversion = 1.0-post1\n\n[options]\npy_modules = pdt\n",
		"pdt.py":         "X = 1\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(py, "-m", "build", "--no-isolation", "--outdir", filepath.Join(dir, "dist"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python3 -m build: %v\n%s", err, out)
	}
	ents, err := os.ReadDir(filepath.Join(dir, "dist"))
	if err != nil || len(ents) != 2 {
		t.Fatalf("dist: %v %v", ents, err)
	}
	for _, e := range ents {
		d, err := Parse(e.Name())
		if err != nil {
			t.Errorf("Parse(%q): %v", e.Name(), err)
			continue
		}
		if d.Project() != "pydepot-test-pkg" || d.Version.String() != "1.0.post1" {
			t.Errorf("Parse(%q) = %s %s", e.Name(), d.Project(), d.Version)
		}
		t.Logf("%s: %s %s %s %v", e.Name(), d.Kind, d.Name, d.Version, tagStrings(d))
	}
}

func FuzzParseFilename(f *testing.F) {
	for _, s := range []string{"pip-23.0.1-py3-none-any.whl", "foo-bar-1.0-1.tar.gz", "Django-4.2.zip", "foo-1.0-12abc-py2.py3-none-any.whl", "../x-1.tar.gz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("Parse(%q): %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		if d.Version.IsZero() || d.Name == "" || d.Filename != s || !strings.HasSuffix(s, d.Ext) {
			t.Fatalf("Parse(%q) = %+v", s, d)
		}
		if strings.ContainsAny(s, "/\\") {
			t.Fatalf("Parse(%q) accepted a path", s)
		}
		if (d.Kind == KindWheel) != (len(d.Tags) > 0) {
			t.Fatalf("Parse(%q): kind %s with %d tags", s, d.Kind, len(d.Tags))
		}
	})
}
