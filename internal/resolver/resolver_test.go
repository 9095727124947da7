package resolver

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/markers"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/tags"
	"github.com/pydepot/pydepot/internal/versions"
)

var linuxEnv = markers.Env{
	"python_version": "3.11", "python_full_version": "3.11.7", "os_name": "posix",
	"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
	"platform_python_implementation": "CPython", "implementation_name": "cpython",
	"implementation_version": "3.11.7",
}

func reqs(ss ...string) []requirements.Requirement {
	out := make([]requirements.Requirement, len(ss))
	for i, s := range ss {
		out[i] = requirements.MustParse(s)
	}
	return out
}

func baseRequest(rs ...string) Request {
	return Request{Requirements: reqs(rs...), Env: linuxEnv, Python: versions.MustParse("3.11.7")}
}

// pins renders a result as "a==1.0 b==2.0".
func pins(r *Result) string {
	var parts []string
	for _, p := range r.Pins {
		s := p.Name + "==" + p.Version.String()
		if len(p.Extras) > 0 {
			s = p.Name + "[" + strings.Join(p.Extras, ",") + "]==" + p.Version.String()
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestResolveSolutions(t *testing.T) {
	tests := []struct {
		name  string
		setup func(m *memProvider)
		req   Request
		want  string
	}{
		{
			name: "newest first",
			setup: func(m *memProvider) {
				m.add("app", "1.0", "lib")
				m.add("lib", "1.0")
				m.add("lib", "1.10")
				m.add("lib", "1.9")
			},
			req:  baseRequest("app"),
			want: "app==1.0 lib==1.10",
		},
		{
			// a is decided first (2.0, newest) and only much later, through b -> d,
			// does c<2 appear: the solver must undo the choice of a 2.0.
			name: "backtracking undoes an early choice",
			setup: func(m *memProvider) {
				m.add("a", "1.0", "c<2")
				m.add("a", "2.0", "c>=2")
				m.add("b", "1.0", "d")
				m.add("b", "2.0", "d")
				m.add("d", "1.0", "c<2")
				m.add("c", "1.0")
				m.add("c", "1.5")
				m.add("c", "2.0")
			},
			req:  baseRequest("a", "b"),
			want: "a==1.0 b==2.0 c==1.5 d==1.0",
		},
		{
			name: "deep backjump over several decisions",
			setup: func(m *memProvider) {
				for _, v := range []string{"1.0", "2.0", "3.0"} {
					m.add("x", v, "y")
				}
				m.add("y", "1.0")
				m.add("y", "2.0")
				m.add("top", "1.0", "z==1")
				m.add("top", "2.0", "z==2")
				m.add("late", "1.0", "w")
				m.add("late", "2.0", "w")
				m.add("late", "3.0", "w")
				m.add("w", "1.0", "z<2")
				m.add("z", "1")
				m.add("z", "2")
			},
			req:  baseRequest("top", "x", "late"),
			want: "late==3.0 top==1.0 w==1.0 x==3.0 y==2.0 z==1",
		},
		{
			name: "diamond resolved by an older version",
			setup: func(m *memProvider) {
				m.add("a", "1.0", "c==1.*")
				m.add("a", "2.0", "c==2.*")
				m.add("b", "1.0", "c<2")
				m.add("c", "1.1")
				m.add("c", "2.1")
			},
			req:  baseRequest("a", "b"),
			want: "a==1.0 b==1.0 c==1.1",
		},
		{
			name: "extras pull their dependencies",
			setup: func(m *memProvider) {
				m.add("app", "1.0", "lib[fast]>=1")
				m.add("lib", "1.0", "base", `speedups; extra == "fast"`, `docs; extra == "doc"`)
				m.add("base", "1.0")
				m.add("speedups", "3.0")
				m.add("docs", "1.0")
			},
			req:  baseRequest("app"),
			want: "app==1.0 base==1.0 lib[fast]==1.0 speedups==3.0",
		},
		{
			name: "extra dependency conflicts force an older base",
			setup: func(m *memProvider) {
				m.add("lib", "1.0", `speedups<2; extra == "fast"`)
				m.add("lib", "2.0", `speedups>=2; extra == "fast"`)
				m.add("speedups", "1.0")
				m.add("speedups", "2.0", "nothere>=5")
				m.add("nothere", "1.0")
			},
			req:  baseRequest("lib[fast]"),
			want: "lib[fast]==1.0 speedups==1.0",
		},
		{
			name: "markers are evaluated for the target",
			setup: func(m *memProvider) {
				m.add("app", "1.0", `pywin32; sys_platform == "win32"`, `uvloop; sys_platform == "linux"`, `old; python_version < "3.8"`)
				m.add("uvloop", "0.19")
			},
			req:  baseRequest("app", `never; os_name == "nt"`),
			want: "app==1.0 uvloop==0.19",
		},
		{
			name: "requires-python excludes newer versions",
			setup: func(m *memProvider) {
				m.add("lib", "1.0").RequiresPython = ">=3.7"
				m.add("lib", "2.0").RequiresPython = ">=3.12"
			},
			req:  baseRequest("lib"),
			want: "lib==1.0",
		},
		{
			name: "requires-python from the metadata when the index has none",
			setup: func(m *memProvider) {
				m.add("app", "1.0", "lib[x]")
				m.add("lib", "1.0")
				m.add("lib", "2.0", `fast; extra == "x"`)
				m.metaRP["lib==2.0"] = ">=3.13"
			},
			req:  baseRequest("app"),
			want: "app==1.0 lib[x]==1.0",
		},
		{
			name: "invalid metadata skips the version",
			setup: func(m *memProvider) {
				m.add("lib", "1.0")
				m.add("lib", "2.0")
				m.broken["lib==2.0"] = true
			},
			req:  baseRequest("lib"),
			want: "lib==1.0",
		},
		{
			name: "yanked versions are skipped",
			setup: func(m *memProvider) {
				m.add("lib", "1.0")
				f := m.add("lib", "2.0")
				f.Yanked, f.YankedReason = true, "broken"
			},
			req:  baseRequest("lib>=1"),
			want: "lib==1.0",
		},
		{
			name: "yanked version pinned with ==",
			setup: func(m *memProvider) {
				m.add("lib", "1.0")
				f := m.add("lib", "2.0")
				f.Yanked = true
			},
			req:  baseRequest("lib==2.0"),
			want: "lib==2.0",
		},
		{
			name: "pre-releases are not chosen by default",
			setup: func(m *memProvider) {
				m.add("lib", "1.0")
				m.add("lib", "2.0b1")
			},
			req:  baseRequest("lib"),
			want: "lib==1.0",
		},
		{
			name: "pre-release named by the specifier",
			setup: func(m *memProvider) {
				m.add("lib", "1.0")
				m.add("lib", "2.0b1")
			},
			req:  baseRequest("lib>=2.0b1"),
			want: "lib==2.0b1",
		},
		{
			name: "only pre-releases satisfy",
			setup: func(m *memProvider) {
				m.add("lib", "1.0")
				m.add("lib", "2.0rc1")
			},
			req:  baseRequest("lib>1.0"),
			want: "lib==2.0rc1",
		},
		{
			name: "pre-releases allowed by the request",
			setup: func(m *memProvider) {
				m.add("lib", "1.0")
				m.add("lib", "2.0rc1")
			},
			req:  func() Request { r := baseRequest("lib"); r.Prereleases = true; return r }(),
			want: "lib==2.0rc1",
		},
		{
			name: "constraints restrict without requiring",
			setup: func(m *memProvider) {
				m.add("app", "1.0", "lib")
				m.add("lib", "1.0")
				m.add("lib", "2.0")
				m.add("other", "1.0")
			},
			req:  func() Request { r := baseRequest("app"); r.Constraints = reqs("lib<2", "other==1.0"); return r }(),
			want: "app==1.0 lib==1.0",
		},
		{
			name: "names are normalized",
			setup: func(m *memProvider) {
				m.add("My_App", "1.0", "Zope.Interface>=5")
				m.add("zope-interface", "5.1")
			},
			req:  baseRequest("my.app"),
			want: "my-app==1.0 zope-interface==5.1",
		},
		{
			name: "dependency cycle",
			setup: func(m *memProvider) {
				m.add("a", "1.0", "b")
				m.add("b", "1.0", "a")
			},
			req:  baseRequest("a"),
			want: "a==1.0 b==1.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			tt.setup(m)
			res, err := Resolve(context.Background(), m, tt.req)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got := pins(res); got != tt.want {
				t.Errorf("pins = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResolveConflicts(t *testing.T) {
	tests := []struct {
		name  string
		setup func(m *memProvider)
		req   Request
		want  []string // substrings of the explanation
	}{
		{
			name: "direct conflict",
			setup: func(m *memProvider) {
				m.add("app", "1.0", "lib<2")
				m.add("lib", "1.0")
				m.add("lib", "2.0")
			},
			req:  baseRequest("app==1.0", "lib>=2"),
			want: []string{"app 1.0 requires lib<2", "the request asks for lib>=2", "app==1.0 and lib>=2 cannot be installed together"},
		},
		{
			name: "chain through requires-python",
			setup: func(m *memProvider) {
				m.add("app", "1.0", "lib<2")
				m.add("lib", "1.0").RequiresPython = ">=3.12"
				m.add("lib", "1.1").RequiresPython = ">=3.12"
				m.add("lib", "2.0")
			},
			req: baseRequest("app"),
			want: []string{"app 1.0 requires lib<2", "lib<2.0 needs Python >=3.12 but the target is 3.11.7",
				"app cannot be installed"},
		},
		{
			name: "diamond conflict",
			setup: func(m *memProvider) {
				m.add("a", "1.0", "c==1")
				m.add("b", "1.0", "c==2")
				m.add("c", "1")
				m.add("c", "2")
			},
			req:  baseRequest("a", "b"),
			want: []string{"a 1.0 requires c==1", "b 1.0 requires c==2"},
		},
		{
			name: "missing project",
			setup: func(m *memProvider) {
				m.add("app", "1.0", "ghost>=1")
			},
			req:  baseRequest("app"),
			want: []string{"app 1.0 requires ghost>=1, but ghost is not on the index"},
		},
		{
			name: "no version matches",
			setup: func(m *memProvider) {
				m.add("lib", "1.0")
			},
			req:  baseRequest("lib>=5"),
			want: []string{"request asks for lib>=5 but no version of lib matches"},
		},
		{
			name: "only yanked",
			setup: func(m *memProvider) {
				f := m.add("lib", "1.0")
				f.Yanked, f.YankedReason = true, "security hole"
			},
			req:  baseRequest("lib"),
			want: []string{"lib 1.0 is yanked (security hole)"},
		},
		{
			name: "only pre-releases but requested final",
			setup: func(m *memProvider) {
				m.add("lib", "1.0")
				m.add("app", "1.0", "lib>=2")
				m.add("app", "2.0", "lib>=3")
			},
			req:  baseRequest("app"),
			want: []string{"app 1.0 requires lib>=2 but no version of lib matches", "app 2.0 requires lib>=3"},
		},
		{
			name: "constraint conflicts",
			setup: func(m *memProvider) {
				m.add("lib", "1.0")
				m.add("lib", "2.0")
			},
			req:  func() Request { r := baseRequest("lib>=2"); r.Constraints = reqs("lib<2"); return r }(),
			want: []string{"the constraint lib<2 excludes lib 2.0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			tt.setup(m)
			_, err := Resolve(context.Background(), m, tt.req)
			var ce *ConflictError
			if !errors.As(err, &ce) || !errors.Is(err, errs.ErrConflict) {
				t.Fatalf("err = %v, want a ConflictError", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("explanation lacks %q:\n%s", w, msg)
				}
			}
			t.Logf("%s", msg)
		})
	}
}

func TestResolveWheelTags(t *testing.T) {
	target := &tags.Target{Implementation: "cp", Major: 3, Minor: 11, OS: "linux", Arch: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 36}
	wheel := func(m *memProvider, fn string) {
		t.Helper()
		parts := strings.Split(strings.TrimSuffix(fn, ".whl"), "-")
		tg, err := tags.ParseSet(strings.Join(parts[len(parts)-3:], "-"))
		if err != nil {
			t.Fatal(err)
		}
		m.addFile("lib", versions.MustParse(parts[1]), File{Filename: fn, URL: "mem://" + fn, Tags: tg})
	}
	sdist := func(m *memProvider, v string) {
		fn := "lib-" + v + ".tar.gz"
		m.addFile("lib", versions.MustParse(v), File{Filename: fn, URL: "mem://" + fn, Sdist: true})
	}
	tests := []struct {
		name     string
		setup    func(m *memProvider)
		noSdist  bool
		wantFile string
		wantErr  string
	}{
		{
			name: "best-ranked wheel",
			setup: func(m *memProvider) {
				wheel(m, "lib-1.0-py3-none-any.whl")
				wheel(m, "lib-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
				wheel(m, "lib-1.0-cp311-cp311-win_amd64.whl")
				sdist(m, "1.0")
			},
			wantFile: "lib-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		},
		{
			name: "sdist when no wheel fits",
			setup: func(m *memProvider) {
				wheel(m, "lib-1.0-py3-none-any.whl")
				wheel(m, "lib-2.0-cp311-cp311-win_amd64.whl")
				wheel(m, "lib-2.0-cp312-cp312-manylinux_2_17_x86_64.whl")
				sdist(m, "2.0")
			},
			wantFile: "lib-2.0.tar.gz",
		},
		{
			name: "no sdist allowed",
			setup: func(m *memProvider) {
				wheel(m, "lib-1.0-py3-none-any.whl")
				wheel(m, "lib-2.0-cp311-cp311-win_amd64.whl")
				sdist(m, "2.0")
			},
			noSdist:  true,
			wantFile: "lib-1.0-py3-none-any.whl",
		},
		{
			name: "nothing fits",
			setup: func(m *memProvider) {
				wheel(m, "lib-2.0-cp311-cp311-win_amd64.whl")
				wheel(m, "lib-2.0-cp311-cp311-manylinux_2_40_x86_64.whl")
			},
			wantErr: "lib 2.0 has no wheel for the target (cp311, linux x86_64) and no sdist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			tt.setup(m)
			req := baseRequest("lib")
			req.Target, req.NoSdist = target, tt.noSdist
			res, err := Resolve(context.Background(), m, req)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pin := res.Pin("lib")
			if pin.File.Filename != tt.wantFile {
				t.Errorf("file = %s, want %s", pin.File.Filename, tt.wantFile)
			}
			if pin.File.Sdist != strings.HasSuffix(tt.wantFile, ".tar.gz") {
				t.Errorf("Sdist = %v", pin.File.Sdist)
			}
		})
	}
}

func TestResultDependencies(t *testing.T) {
	m := newMem()
	m.add("app", "1.0", "lib[x]", `win; sys_platform == "win32"`)
	m.add("lib", "1.0", `extra1; extra == "x"`, "core")
	m.add("extra1", "1.0")
	m.add("core", "1.0")
	res, err := Resolve(context.Background(), m, baseRequest("app"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Pin("app").Dependencies, ","); got != "lib" {
		t.Errorf("app deps = %s", got)
	}
	if got := strings.Join(res.Pin("lib").Dependencies, ","); got != "core,extra1" {
		t.Errorf("lib deps = %s", got)
	}
	if got := strings.Join(res.Roots, ","); got != "app" {
		t.Errorf("roots = %s", got)
	}
}

func TestDirectURLRejected(t *testing.T) {
	m := newMem()
	_, err := Resolve(context.Background(), m, baseRequest("lib @ https://example.com/lib-1.0.tar.gz"))
	if !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}
