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
		{name: "cctools json", file: "deps.json", data: `{"python": "3.7.3", "modules": ["antigravity", "matplotlib"]}`,
			python: "3.7.3", reqs: "antigravity,matplotlib"},
		{name: "empty requirements win over modules", file: "x.json", data: `{"python": "3.12", "modules": ["os2"], "requirements": []}`,
			python: "3.12", reqs: ""},
		{name: "json by content", file: "spec", data: ` {"modules": ["six"]}`, reqs: "six"},
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
				strings.Join(s.IndexURLs, " ") != tt.index || len(s.Constraints) != tt.constraints {
				t.Errorf("got python %q reqs %v rp %q index %v constraints %d", s.Python, names, s.RequiresPython, s.IndexURLs, len(s.Constraints))
			}
		})
	}
}
