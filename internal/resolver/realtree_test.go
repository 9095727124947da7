package resolver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/markers"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/testdist"
	"github.com/pydepot/pydepot/internal/versions"
)

// installedDist is one distribution found in a site-packages directory.
type installedDist struct {
	name     string // normalized
	version  versions.Version
	requires []requirements.Requirement
	rp       string
}

// scanInstalled reads every *.dist-info/METADATA (and *.egg-info PKG-INFO with its
// requires.txt) under dir.
func scanInstalled(t testing.TB, dir string) map[string]installedDist {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	out := map[string]installedDist{}
	for _, e := range entries {
		var data []byte
		var requiresTxt []byte
		switch {
		case strings.HasSuffix(e.Name(), ".dist-info"):
			data, err = os.ReadFile(filepath.Join(dir, e.Name(), "METADATA"))
		case strings.HasSuffix(e.Name(), ".egg-info") && e.IsDir():
			data, err = os.ReadFile(filepath.Join(dir, e.Name(), "PKG-INFO"))
			requiresTxt, _ = os.ReadFile(filepath.Join(dir, e.Name(), "requires.txt"))
		default:
			continue
		}
		if err != nil {
			continue
		}
		md, err := metadata.Parse(data)
		if err != nil {
			t.Logf("skipping %s: %v", e.Name(), err)
			continue
		}
		d := installedDist{name: names.Normalize(md.Name), rp: md.RequiresPython}
		if d.version, err = versions.Parse(md.Version); err != nil {
			t.Logf("skipping %s: %v", e.Name(), err)
			continue
		}
		if requiresTxt != nil {
			d.requires = parseRequiresTxt(t, requiresTxt)
		} else if d.requires, err = md.Requirements(); err != nil {
			t.Logf("skipping %s: %v", e.Name(), err)
			continue
		}
		out[d.name] = d
	}
	return out
}

// parseRequiresTxt converts an egg-info requires.txt ("[extra]", "[:marker]",
// "[extra:marker]" sections) into PEP 508 requirements with markers.
func parseRequiresTxt(t testing.TB, data []byte) []requirements.Requirement {
	var out []requirements.Requirement
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			extra, marker, _ := strings.Cut(line[1:len(line)-1], ":")
			var conds []string
			if extra != "" {
				conds = append(conds, `extra == "`+extra+`"`)
			}
			if marker != "" {
				conds = append(conds, "("+marker+")")
			}
			section = strings.Join(conds, " and ")
			continue
		}
		s := line
		if section != "" {
			s += "; " + section
		}
		r, err := requirements.Parse(s)
		if err != nil {
			t.Logf("requires.txt line %q: %v", s, err)
			continue
		}
		out = append(out, r)
	}
	return out
}

// installedProvider serves each installed distribution as a version of its project.
// With decoys, every project also gets a newer version "X.Y.Z.9999" that must not be
// chosen, each unusable in its own way: it needs Python >=4, or is yanked, or needs a
// project that does not exist, or needs a newer version of one of its dependencies
// (which is itself a decoy, so the solver has to back out of a chain of choices).
func installedProvider(dists map[string]installedDist, decoys bool) *memProvider {
	m := newMem()
	i := 0
	for _, name := range sortedNames(dists) {
		d := dists[name]
		fn := d.name + "-" + d.version.String() + "-py3-none-any.whl"
		m.addFile(d.name, d.version, File{Filename: fn, URL: "file://" + fn, Size: -1, RequiresPython: d.rp})
		m.deps[d.name+"=="+d.version.String()] = d.requires
		if !decoys {
			continue
		}
		v := versions.MustParse(d.version.BaseVersion().String() + ".9999")
		fn = d.name + "-" + v.String() + "-py3-none-any.whl"
		f := File{Filename: fn, URL: "file://" + fn, Size: -1}
		deps := append([]requirements.Requirement(nil), d.requires...)
		switch i % 4 {
		case 0:
			f.RequiresPython = ">=4"
		case 1:
			f.Yanked = true
		case 2:
			deps = append(deps, requirements.MustParse("no-such-project-anywhere>=1"))
		case 3:
			newer := false
			for _, r := range d.requires {
				if dep, ok := dists[names.Normalize(r.Name)]; ok && r.Marker.IsZero() {
					deps = append(deps, requirements.MustParse(dep.name+">"+dep.version.String()))
					newer = true
					break
				}
			}
			if !newer {
				f.RequiresPython = "<3"
			}
		}
		i++
		m.addFile(d.name, v, f)
		m.deps[d.name+"=="+v.String()] = deps
	}
	return m
}

func sortedNames(dists map[string]installedDist) []string {
	out := make([]string, 0, len(dists))
	for n := range dists {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func envFor(full string) markers.Env {
	v := versions.MustParse(full)
	r := v.Release()
	env := markers.Env{}
	for k, val := range linuxEnv {
		env[k] = val
	}
	env["python_full_version"] = full
	env["implementation_version"] = full
	env["python_version"] = fmt.Sprintf("%d.%d", r[0], r[1])
	return env
}

// closure walks what a root needs among the installed dists, the way the result must
// look: it returns the needed names and whether everything needed is installed and
// satisfied.
func closure(dists map[string]installedDist, env markers.Env, root string) (map[string][]string, bool) {
	need := map[string][]string{} // name -> extras
	ok := true
	var visit func(name string, extras []string)
	visit = func(name string, extras []string) {
		d, found := dists[name]
		if !found {
			ok = false
			return
		}
		prev, seen := need[name]
		newExtras := []string{}
		for _, e := range extras {
			if !contains(prev, e) {
				newExtras = append(newExtras, e)
			}
		}
		if seen && len(newExtras) == 0 {
			return
		}
		need[name] = append(prev, newExtras...)
		evalExtras := newExtras
		for _, r := range d.requires {
			active := false
			if !seen && r.Marker.EvaluateExtras(env, nil) {
				active = true
			}
			if len(evalExtras) > 0 && r.Marker.EvaluateExtras(env, evalExtras) {
				active = true
			}
			if !active {
				continue
			}
			n := names.Normalize(r.Name)
			if dd, found := dists[n]; found && !r.Specifiers.Contains(dd.version, true) {
				ok = false
			}
			var ex []string
			for _, e := range r.Extras {
				ex = append(ex, names.Normalize(e))
			}
			visit(n, ex)
		}
	}
	visit(root, nil)
	return need, ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type installedTree struct {
	dir    string
	python string // the version of the interpreter the tree belongs to
}

// installedTrees are the site-packages of pyenv's 3.11 (pip-installed distributions) and
// Debian's dist-packages, each with its interpreter's version.
func installedTrees(t testing.TB) []installedTree {
	t.Helper()
	py := testdist.PyenvPython(t, "3.11")
	debian, err := testdist.QueryPython(testdist.DebianPython)
	if err != nil {
		t.Fatal(err)
	}
	return []installedTree{{py.Site, py.Version}, {"/usr/lib/python3/dist-packages", debian.Version}}
}

// TestResolveInstalledTrees resolves every installed distribution's requirements over a
// provider made of the installed dists (with and without decoy versions) and checks that
// the result is the installed set: the same versions, every requirement satisfied. When
// the installed tree itself is incomplete (a Debian package that needs one not
// installed), it checks that the conflict is explained instead.
func TestResolveInstalledTrees(t *testing.T) {
	for _, tree := range installedTrees(t) {
		for _, decoys := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/decoys=%v", tree.dir, decoys), func(t *testing.T) {
				dists := scanInstalled(t, tree.dir)
				if len(dists) < 20 {
					t.Fatalf("only %d distributions found in %s", len(dists), tree.dir)
				}
				env := envFor(tree.python)
				p := installedProvider(dists, decoys)
				solved, failed, pinsTotal := 0, 0, 0
				for _, root := range sortedNames(dists) {
					need, consistent := closure(dists, env, root)
					req := Request{Requirements: reqs(root), Env: env, Python: versions.MustParse(tree.python)}
					res, err := Resolve(context.Background(), p, req)
					if !consistent {
						var ce *ConflictError
						if !errors.As(err, &ce) {
							t.Errorf("%s: the installed tree is incomplete but Resolve gave %v", root, err)
						} else if !decoys {
							t.Logf("%s: incomplete installed tree, explained as:\n%v", root, err)
						}
						failed++
						continue
					}
					if err != nil {
						t.Errorf("%s: %v", root, err)
						continue
					}
					solved++
					pinsTotal += len(res.Pins)
					checkAgainstInstalled(t, root, res, dists, need, env)
				}
				t.Logf("%s: %d dists resolved as roots (%d pins in all), %d incomplete trees explained", tree.dir, solved, pinsTotal, failed)
				if solved < 20 {
					t.Errorf("only %d roots solved", solved)
				}
			})
		}
	}
}

func checkAgainstInstalled(t *testing.T, root string, res *Result, dists map[string]installedDist, need map[string][]string, env markers.Env) {
	t.Helper()
	if len(res.Pins) != len(need) {
		var got []string
		for _, p := range res.Pins {
			got = append(got, p.Name)
		}
		t.Errorf("%s: pinned %v, want the %d of %v", root, got, len(need), need)
	}
	pinned := map[string]Pin{}
	for _, p := range res.Pins {
		pinned[p.Name] = p
		d, ok := dists[p.Name]
		if !ok || d.version.Compare(p.Version) != 0 {
			t.Errorf("%s: pinned %s %s, installed %s", root, p.Name, p.Version, d.version)
		}
	}
	for _, p := range res.Pins {
		for _, r := range dists[p.Name].requires {
			if !r.Marker.EvaluateExtras(env, p.Extras) {
				continue
			}
			dep, ok := pinned[names.Normalize(r.Name)]
			if !ok {
				t.Errorf("%s: %s needs %s, which is not pinned", root, p.Name, r)
				continue
			}
			if !r.Specifiers.Contains(dep.Version, true) {
				t.Errorf("%s: %s needs %s, pinned %s", root, p.Name, r, dep.Version)
			}
			for _, e := range r.Extras {
				if !contains(dep.Extras, names.Normalize(e)) {
					t.Errorf("%s: %s needs %s, extra %s not recorded", root, p.Name, r, e)
				}
			}
		}
	}
}

func BenchmarkResolveInstalledTree(b *testing.B) {
	tree := installedTrees(b)[0]
	dists := scanInstalled(b, tree.dir)
	env := envFor(tree.python)
	p := installedProvider(dists, true)
	var rs []string
	for _, r := range sortedNames(dists) {
		if _, ok := closure(dists, env, r); ok {
			rs = append(rs, r)
		}
	}
	req := Request{Requirements: reqs(rs...), Env: env, Python: versions.MustParse(tree.python)}
	b.ResetTimer()
	for b.Loop() {
		res, err := Resolve(context.Background(), p, req)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(res.Pins)), "pins")
	}
}
