package envs

import (
	"fmt"

	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/pylock"
	"github.com/pydepot/pydepot/internal/resolver"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// lockFor turns a resolution into a PEP 751 lock. The interpreter is recorded under
// [tool.pydepot] and as requires-python ==X.Y.Z, so a lock names the environment it
// describes. Nothing time-dependent is written except the files' upload times, which
// come from the index.
func lockFor(res *resolver.Result, in *interpreters.Interpreter) (*pylock.Lock, error) {
	l := pylock.New()
	l.RequiresPython = "==" + in.Version
	l.Tool = map[string]any{"pydepot": map[string]any{
		"python":         in.Version,
		"implementation": in.Implementation,
		"platform":       fmt.Sprintf("%s_%s", in.Target.OS, in.Target.Arch),
		"roots":          res.Roots,
	}}
	for _, p := range res.Pins {
		pkg := pylock.Package{Name: p.Name, Version: p.Version.String(), RequiresPython: p.File.RequiresPython}
		if sf, ok := p.File.Ref.(simpleindex.File); ok {
			pkg.Index = sf.Index
		}
		f := pylock.File{Name: p.File.Filename, URL: p.File.URL, Hashes: map[string]string{}}
		if p.File.Size > 0 {
			f.Size = p.File.Size
		}
		if !p.File.UploadTime.IsZero() {
			t := p.File.UploadTime.UTC()
			f.UploadTime = &t
		}
		if p.File.SHA256 != "" {
			f.Hashes["sha256"] = p.File.SHA256
		}
		if p.File.Sdist {
			pkg.Sdist = &f
		} else {
			pkg.Wheels = []pylock.File{f}
		}
		for _, d := range p.Dependencies {
			if dp := res.Pin(d); dp != nil {
				pkg.Dependencies = append(pkg.Dependencies, pylock.Dependency{Name: dp.Name, Version: dp.Version.String()})
			}
		}
		l.Packages = append(l.Packages, pkg)
	}
	return l, nil
}
