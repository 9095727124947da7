package requirements

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

type pipFileResult struct {
	OK   bool   `json:"ok"`
	Err  string `json:"err"`
	Reqs []struct {
		Req        string `json:"req"`
		Constraint bool   `json:"constraint"`
		Named      bool   `json:"named"`
	} `json:"reqs"`
}

// realRequirementFiles finds requirements files shipped on this machine, plus a few
// written here to exercise includes and options.
func realRequirementFiles(t *testing.T) []string {
	var files []string
	roots := []string{"/usr/lib", "/usr/share/doc"}
	if pyenv := testdist.FindPyenvRoot(); pyenv != "" {
		roots = append(roots, filepath.Join(pyenv, "plugins"))
	}
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "requirements") && strings.HasSuffix(d.Name(), ".txt") {
				files = append(files, p)
			}
			return nil
		})
	}
	dir := t.TempDir()
	own := map[string]string{
		"main.txt":   "-r base.txt\n-c cons.txt\n--extra-index-url https://x.example/simple\nflask>=2 \\\n  ; python_version >= '3.8'\nnumpy==1.26.* --hash=sha256:00\n# done\n",
		"base.txt":   "requests[socks]>=2.0,<3\n  six  # comment\n",
		"cons.txt":   "urllib3<2\n",
		"edit.txt":   "ok\n-e .\n",
		"path.txt":   "./local/pkg\n",
		"urlreq.txt": "pkg @ https://files.example/pkg-1.0-py3-none-any.whl\n",
	}
	for name, body := range own {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	return files
}

// TestPipOracle compares ParseFile with pip's parser: every file whose requirements are
// all named must parse to the same names; a file with an editable or a path must fail.
func TestPipOracle(t *testing.T) {
	py := testdist.PackagingOracle(t)
	if exec.Command(py, "-c", "import pip._internal.req.req_file").Run() != nil {
		py = testdist.DebianPython
	}
	files := realRequirementFiles(t)
	var res []pipFileResult
	testdist.RunPython(t, py, "testdata/pipfile_oracle.py", files, &res)
	open := func(name string) ([]byte, error) { return os.ReadFile(name) }
	compared := 0
	for i, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := ParseFile(path, data, open)
		want := res[i]
		allNamed := want.OK
		for _, r := range want.Reqs {
			allNamed = allNamed && r.Named
		}
		switch {
		case !want.OK:
			if err == nil {
				t.Errorf("%s: pip fails (%s) but ParseFile succeeds", path, want.Err)
			}
		case !allNamed:
			if err == nil {
				t.Errorf("%s: holds editable or path requirements but ParseFile succeeds", path)
			}
		case err != nil:
			t.Errorf("%s: pip parses it but ParseFile: %v", path, err)
		default:
			var got, exp []string
			for _, r := range f.Requirements {
				got = append(got, r.Name)
			}
			for _, r := range f.Constraints {
				got = append(got, "c:"+r.Name)
			}
			for _, r := range want.Reqs {
				name := MustParse(r.Req).Name
				if r.Constraint {
					exp = append(exp, "c:"+name)
				}
			}
			var reqs []string
			for _, r := range want.Reqs {
				if !r.Constraint {
					reqs = append(reqs, MustParse(r.Req).Name)
				}
			}
			exp = append(reqs, exp...)
			if strings.Join(got, " ") != strings.Join(exp, " ") {
				t.Errorf("%s:\n got  %v\n pip  %v", path, got, exp)
			}
			compared++
		}
	}
	t.Logf("%d files, %d compared requirement by requirement", len(files), compared)
}
