package envs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

func TestReadSpec(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "base.txt"), []byte("click>=8\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "constraints.txt"), []byte("markupsafe<3\n"), 0o644)
	tests := []struct {
		name, file, data string
		python, reqs     string // reqs: names joined by ","
		rp, index        string
		constraints      int
		err              error
	}{
		{name: "analyze json", file: "deps.json", data: `{"python": "3.11.7", "modules": ["yaml"], "requirements": ["PyYAML", "Jinja2>=3"]}`,
			python: "3.11.7", reqs: "PyYAML,Jinja2"},
		{name: "cctools json: modules are import names, mapped by Create", file: "deps.json", data: `{"python": "3.7.3", "modules": ["antigravity", "matplotlib"]}`,
			python: "3.7.3", reqs: ""},
		{name: "empty requirements win over modules", file: "x.json", data: `{"python": "3.12", "modules": ["os2"], "requirements": []}`,
			python: "3.12", reqs: ""},
		{name: "json by content", file: "spec", data: ` {"requirements": ["six"]}`, reqs: "six"},
		{name: "poetry", file: "pyproject.toml", data: "[tool.poetry.dependencies]\npython = \"^3.9\"\nrequests = \"^2.28\"\nPyYAML = {version = \"~6.0\", python = \">=3.8\"}\nextra-thing = {version = \"*\", optional = true}\n",
			reqs: "PyYAML,requests", rp: "<4,>=3.9"},
		{name: "nothing: {}", file: "deps.json", data: `{}`, err: errs.ErrInvalid},
		{name: "nothing: empty requirements.txt", file: "requirements.txt", data: "# nothing\n", err: errs.ErrInvalid},
		{name: "nothing: pyproject without dependencies", file: "pyproject.toml", data: "[project]\nname='a'\n[tool.poetry.dependencies]\npython='^3.9'\n", err: errs.ErrInvalid},
		{name: "poetry git dependency refused", file: "pyproject.toml", data: "[tool.poetry.dependencies]\nx = {git = \"https://example.com/x.git\"}\n", err: errs.ErrInvalid},
		{name: "poetry || refused", file: "pyproject.toml", data: "[tool.poetry.dependencies]\nx = \"^1 || ^2\"\n", err: errs.ErrInvalid},
		{name: "prefer-binary refused", file: "requirements.txt", data: "--prefer-binary\nsix\n", err: errs.ErrInvalid},
		{name: "unhashed line in hash mode", file: "requirements.txt", data: "--require-hashes\nsix==1.16.0\n", err: errs.ErrInvalid},
		{name: "unpinned line in hash mode", file: "requirements.txt", data: "six>=1 --hash=sha256:" + strings.Repeat("0", 64) + "\n", err: errs.ErrInvalid},
		{name: "short sha256", file: "requirements.txt", data: "six==1.16 --hash=sha256:00\n", err: errs.ErrInvalid},
		{name: "md5 refused", file: "requirements.txt", data: "six==1.16 --hash=md5:" + strings.Repeat("0", 32) + "\n", err: errs.ErrInvalid},
		{name: "no-index without find-links", file: "requirements.txt", data: "--no-index\nsix\n", err: errs.ErrInvalid},
		{name: "find-links URL refused", file: "requirements.txt", data: "-f https://example.com/links/\nsix\n", err: errs.ErrInvalid},
		{name: "pyproject", file: "pyproject.toml", data: "[project]\nname='a'\nrequires-python='>=3.10'\ndependencies=['requests[socks]>=2', 'tomli; python_version<\"3.11\"']\n",
			reqs: "requests,tomli", rp: ">=3.10"},
		{name: "requirements", file: filepath.Join(dir, "requirements.txt"), data: "-r base.txt\n-c constraints.txt\n--index-url http://127.0.0.1:9/simple/\nflask  # web\n",
			reqs: "click,flask", index: "http://127.0.0.1:9/simple/", constraints: 1},
		{name: "direct url refused", file: "requirements.txt", data: "pkg @ https://example.com/pkg-1.0-py3-none-any.whl\n", err: errs.ErrInvalid},
		{name: "bad json", file: "deps.json", data: `{"modules": [1]}`, err: errs.ErrInvalid},
		{name: "bad toml", file: "pyproject.toml", data: "[project\n", err: errs.ErrInvalid},
		{name: "bad requirement", file: "deps.json", data: `{"requirements": ["not a valid === ="]}`, err: errs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadSpec(tt.file, []byte(tt.data))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range s.Requirements {
				names = append(names, r.Name)
			}
			if s.Python != tt.python || strings.Join(names, ",") != tt.reqs || s.RequiresPython.String() != tt.rp ||
				strings.Join(s.IndexURLs(), " ") != tt.index || len(s.Constraints) != tt.constraints {
				t.Errorf("got python %q reqs %v rp %q index %v constraints %d", s.Python, names, s.RequiresPython, s.IndexURLs(), len(s.Constraints))
			}
		})
	}
}

func TestPoetryConstraint(t *testing.T) {
	for in, want := range map[string]string{
		"^1.2.3": ">=1.2.3,<2", "^0.2.3": ">=0.2.3,<0.3", "^0.0.3": ">=0.0.3,<0.0.4", "^0": ">=0,<1",
		"~1.2.3": ">=1.2.3,<1.3", "~1": ">=1,<2", "1.2.*": "==1.2.*", "1.2.3": "==1.2.3", "*": "",
		">= 1.2 < 2": ">=1.2,<2", ">=1,<2": ">=1,<2", "=1.0": "==1.0", "!=1.5": "!=1.5",
	} {
		got, err := poetryConstraint(in)
		if err != nil || got != want {
			t.Errorf("poetryConstraint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestWithToken(t *testing.T) {
	for _, tt := range [][3]string{
		{"http://h:8/simple/", "tok", "http://__token__:tok@h:8/simple/"},
		{"http://u:p@h/simple/", "tok", "http://u:p@h/simple/"},
		{"http://h/simple/", "", "http://h/simple/"},
	} {
		if got := withToken(tt[0], tt[1]); got != tt[2] {
			t.Errorf("withToken(%q, %q) = %q, want %q", tt[0], tt[1], got, tt[2])
		}
	}
}

// A key pydepot analyze does not write ("modlues") is named: in the error when nothing
// else is read, as a note when "python" alone would give an environment without it. The
// keys analyze writes and create does not need are not noted.
func TestReadSpecUnknownJSONKeys(t *testing.T) {
	if _, err := ReadSpec("deps.json", []byte(`{"modlues": ["yaml"]}`)); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "modlues") {
		t.Errorf("only an unknown key: %v, want it named", err)
	}
	s, err := ReadSpec("deps.json", []byte(`{"python": "3.7", "modlues": ["yaml"], "requirments": ["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Notes, "\n"); !strings.Contains(got, `"modlues"`) || !strings.Contains(got, `"requirments"`) {
		t.Errorf("notes %q do not name the unknown keys", s.Notes)
	}
	s, err = ReadSpec("deps.json", []byte(`{"python": "3.11.7", "modules": ["yaml"], "optional": [], "requirements": ["PyYAML"], "unresolved": [], "candidates": {}, "sources": ["a.py"], "local": []}`))
	if err != nil || len(s.Notes) != 0 {
		t.Errorf("analyze's own output: notes %q, err %v", s.Notes, err)
	}
}
