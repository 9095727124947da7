package envs

import (
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

// FuzzReadSpec: any bytes under any of the three kinds of name either parse or fail with
// an error wrapping errs.ErrInvalid; never a panic.
func FuzzReadSpec(f *testing.F) {
	f.Add("deps.json", []byte(`{"python": "3.11.7", "modules": ["yaml", "numpy"]}`))
	f.Add("deps.json", []byte(`{"python": "3.12", "modules": ["x"], "requirements": ["PyYAML>=6", "requests[socks]; python_version>'3'"]}`))
	f.Add("pyproject.toml", []byte("[project]\nname='a'\nrequires-python='>=3.9'\ndependencies=['jinja2<4', 'click']\n"))
	f.Add("requirements.txt", []byte("flask==3.*\n--index-url http://x/simple/\nrequests ; sys_platform == 'linux'\n"))
	f.Add("requirements.txt", []byte("pkg @ https://example.com/pkg.whl\n"))
	f.Add("pyproject.toml", []byte("[tool.poetry.dependencies]\npython='^3.9'\nrequests='^2.28'\nx={version='~1.2', python='>=3.8', markers='os_name == \"posix\"', extras=['a']}\n"))
	f.Add("pyproject.toml", []byte("[tool.poetry.dependencies]\nx='"+strings.Repeat(">= 1 ", 2000)+"'\n"))
	f.Add("pylock.toml", []byte("lock-version='1.0'\ncreated-by='x'\n[[packages]]\nname='a'\nversion='1'\n[[packages.wheels]]\nurl='http://x/a-1-py3-none-any.whl'\nhashes={sha256='00'}\n"))
	f.Add("requirements.txt", []byte("--require-hashes\na==1 "+strings.Repeat("--hash=sha256:"+strings.Repeat("0", 64)+" ", 100)+"\n--only-binary :all:,:none:,a\n--no-binary=:all:\n"))
	f.Add("deps.json", []byte(`{}`))
	f.Add("deps.json", []byte(`{"modules": ["a.b.c", "1bad", ""]}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		switch name {
		case "deps.json", "pyproject.toml", "requirements.txt", "spec", "pylock.toml":
		default:
			name = "requirements.txt"
		}
		s, err := ReadSpec(name, data)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, errs.ErrNotFound) {
				// includes (-r) name files that do not exist: an I/O error is fine too
				return
			}
			return
		}
		for _, r := range s.Requirements {
			if r.URL != "" {
				t.Fatalf("direct URL requirement accepted: %v", r)
			}
		}
	})
}
