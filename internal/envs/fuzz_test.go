package envs

import (
	"errors"
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
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		switch name {
		case "deps.json", "pyproject.toml", "requirements.txt", "spec":
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
