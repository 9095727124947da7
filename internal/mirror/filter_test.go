package mirror_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/versions"
)

func TestRemoteValidate(t *testing.T) {
	ok := func(r mirror.Remote) mirror.Remote {
		if r.Name == "" {
			r.Name = "pypi"
		}
		if r.URL == "" {
			r.URL = "https://pypi.org/simple"
		}
		return r
	}
	tests := []struct {
		name string
		r    mirror.Remote
		want string // "" = valid
	}{
		{"plain", ok(mirror.Remote{}), ""},
		{"bad name", ok(mirror.Remote{Name: "Py Pi"}), "remote name"},
		{"ftp", ok(mirror.Remote{URL: "ftp://x/simple/"}), "http:// or https://"},
		{"userinfo", ok(mirror.Remote{URL: "https://u:p@x/simple/"}), "--username"},
		{"include", ok(mirror.Remote{Includes: []string{"Django>=4,<5"}}), ""},
		{"bad include", ok(mirror.Remote{Includes: []string{"Django>>4"}}), "--include"},
		{"url include", ok(mirror.Remote{Includes: []string{"foo @ https://x/foo.whl"}}), "URL requirement"},
		{"marker include", ok(mirror.Remote{Includes: []string{`foo; python_version < "3"`}}), "markers"},
		{"too many includes", ok(mirror.Remote{Includes: make([]string, mirror.MaxRequirements+1)}), "at most"},
		{"package type", ok(mirror.Remote{PackageTypes: []string{"egg"}}), "package type"},
		{"platform", ok(mirror.Remote{Platforms: []string{"manylinux_2_17_x86_64", "win_amd64", "macosx_11_0_arm64"}}), ""},
		{"bad platform", ok(mirror.Remote{Platforms: []string{"manylinux_x_y_z"}}), "platform"},
		{"any platform", ok(mirror.Remote{Platforms: []string{"any"}}), "pure wheels"},
		{"python", ok(mirror.Remote{Pythons: []string{"3.12", "2.7"}}), ""},
		{"bad python", ok(mirror.Remote{Pythons: []string{"3"}}), "MAJOR.MINOR"},
		{"python 4", ok(mirror.Remote{Pythons: []string{"4.0"}}), "MAJOR.MINOR"},
		{"keep latest", ok(mirror.Remote{KeepLatest: -1}), "--keep-latest"},
		{"policy", ok(mirror.Remote{Policy: "lazy"}), "policy"},
		{"deps without includes", ok(mirror.Remote{WithDependencies: true}), "needs --include"},
		{"password alone", ok(mirror.Remote{Password: "x"}), "--password needs --username"},
		{"token and user", ok(mirror.Remote{Token: "t", Username: "u"}), "not both"},
		{"proxy", ok(mirror.Remote{Proxy: "gopher://p"}), "--proxy"},
		{"ca not pem", ok(mirror.Remote{CACert: "hello"}), "no PEM"},
		{"ca and insecure", ok(mirror.Remote{CACert: "x", Insecure: true}), "not both"},
	}
	for _, tt := range tests {
		r := tt.r
		err := r.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want ErrInvalid naming %q", tt.name, err, tt.want)
		}
	}
	r := ok(mirror.Remote{Includes: []string{"Django >=4, <5", "Django<5,>=4", ""}, PackageTypes: []string{"sdist", "wheel", "wheel", ""}})
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.URL != "https://pypi.org/simple/" || len(r.Includes) != 1 || r.Policy != mirror.PolicyImmediate || strings.Join(r.PackageTypes, ",") != "wheel,sdist" {
		t.Errorf("canonical form: %+v", r)
	}
}

func newFilter(t *testing.T, r mirror.Remote) *mirror.Filter {
	t.Helper()
	r.Name, r.URL = "f", "https://x/simple/"
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	f, err := mirror.NewFilter(&r)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFilterWantsVersion(t *testing.T) {
	reqs := func(ss ...string) []requirements.Requirement {
		var out []requirements.Requirement
		for _, s := range ss {
			out = append(out, requirements.MustParse(s))
		}
		return out
	}
	tests := []struct {
		name    string
		r       mirror.Remote
		project string
		version string
		reqs    []requirements.Requirement
		want    bool
	}{
		{"no rule", mirror.Remote{}, "x", "1.0", nil, true},
		{"pre-release refused", mirror.Remote{}, "x", "2.0rc1", nil, false},
		{"pre-release taken", mirror.Remote{Prereleases: true}, "x", "2.0rc1", nil, true},
		{"in range", mirror.Remote{}, "django", "4.2", reqs("Django>=4,<5"), true},
		{"out of range", mirror.Remote{}, "django", "5.0", reqs("Django>=4,<5"), false},
		{"either requirement", mirror.Remote{}, "django", "3.2", reqs("Django>=4,<5", "Django==3.2"), true},
		{"pre-release named by the specifier", mirror.Remote{}, "x", "2.0rc1", reqs("x>=2.0rc1"), true},
		{"PEP 440 equality", mirror.Remote{}, "x", "1.0.0", reqs("x==1.0"), true},
		{"excluded version", mirror.Remote{Excludes: []string{"Django<4.1"}}, "django", "4.0", reqs("Django>=4,<5"), false},
		{"exclude elsewhere", mirror.Remote{Excludes: []string{"Django<4.1"}}, "django", "4.1", reqs("Django>=4,<5"), true},
		{"excluded project", mirror.Remote{Excludes: []string{"django"}}, "Django", "4.1", nil, false},
	}
	for _, tt := range tests {
		f := newFilter(t, tt.r)
		if got := f.WantsVersion(tt.project, versions.MustParse(tt.version), tt.reqs); got != tt.want {
			t.Errorf("%s: WantsVersion(%s %s) = %v, want %v", tt.name, tt.project, tt.version, got, tt.want)
		}
	}
}

func TestFilterWantsFile(t *testing.T) {
	tests := []struct {
		name     string
		r        mirror.Remote
		filename string
		reqPy    string
		want     bool
	}{
		{"everything", mirror.Remote{}, "x-1.0-cp311-cp311-win_amd64.whl", "", true},
		{"wheels only: sdist", mirror.Remote{PackageTypes: []string{"wheel"}}, "x-1.0.tar.gz", "", false},
		{"sdists only: wheel", mirror.Remote{PackageTypes: []string{"sdist"}}, "x-1.0-py3-none-any.whl", "", false},
		{"sdist kept with platforms", mirror.Remote{Platforms: []string{"win_amd64"}}, "x-1.0.tar.gz", "", true},
		{"pure wheel on any platform", mirror.Remote{Platforms: []string{"win_amd64"}}, "x-1.0-py3-none-any.whl", "", true},
		{"other platform", mirror.Remote{Platforms: []string{"win_amd64"}}, "x-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "", false},
		{"older manylinux fits", mirror.Remote{Platforms: []string{"manylinux_2_28_x86_64"}}, "x-1.0-cp311-cp311-manylinux2014_x86_64.whl", "", true},
		{"newer manylinux does not", mirror.Remote{Platforms: []string{"manylinux_2_17_x86_64"}}, "x-1.0-cp311-cp311-manylinux_2_28_x86_64.whl", "", false},
		{"python only: other python", mirror.Remote{Pythons: []string{"3.12"}}, "x-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "", false},
		{"python only: abi3", mirror.Remote{Pythons: []string{"3.12"}}, "x-1.0-cp38-abi3-win_amd64.whl", "", true},
		{"python only: its own", mirror.Remote{Pythons: []string{"3.11"}}, "x-1.0-cp311-cp311-macosx_11_0_arm64.whl", "", true},
		{"both: pair fits", mirror.Remote{Pythons: []string{"3.11"}, Platforms: []string{"win_amd64"}}, "x-1.0-cp311-cp311-win_amd64.whl", "", true},
		{"both: pair does not", mirror.Remote{Pythons: []string{"3.12"}, Platforms: []string{"win_amd64"}}, "x-1.0-cp311-cp311-win_amd64.whl", "", false},
		{"requires-python refuses", mirror.Remote{Pythons: []string{"3.8"}}, "x-1.0-py3-none-any.whl", ">=3.9", false},
		{"requires-python one of two", mirror.Remote{Pythons: []string{"3.8", "3.12"}}, "x-1.0.tar.gz", ">=3.9", true},
		{"requires-python unparsable kept", mirror.Remote{Pythons: []string{"3.8"}}, "x-1.0.tar.gz", ">=3.9.*.*", true},
	}
	for _, tt := range tests {
		f := newFilter(t, tt.r)
		d, err := filenames.Parse(tt.filename)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.WantsFile(d, tt.reqPy); got != tt.want {
			t.Errorf("%s: WantsFile(%s, %q) = %v, want %v", tt.name, tt.filename, tt.reqPy, got, tt.want)
		}
	}
}

func TestFilterSelectKeepLatest(t *testing.T) {
	var files []simpleindex.File
	for _, fn := range []string{"x-1.0.tar.gz", "x-1.0-py3-none-any.whl", "x-2.0.tar.gz", "x-3.0rc1.tar.gz", "x-1.5.tar.gz",
		"x-2.0.0-py3-none-any.whl", "y-9.0.tar.gz", "x-0.9.egg"} {
		files = append(files, simpleindex.File{Filename: fn, Hashes: map[string]string{"sha256": strings.Repeat("a", 64)}})
	}
	files = append(files, simpleindex.File{Filename: "x-4.0.tar.gz"}) // no hash
	keep, skipped := newFilter(t, mirror.Remote{KeepLatest: 2}).Select("x", files, nil)
	var got []string
	for _, f := range keep {
		got = append(got, f.Filename)
	}
	if strings.Join(got, " ") != "x-2.0.tar.gz x-1.5.tar.gz x-2.0.0-py3-none-any.whl" {
		t.Errorf("kept %v", got)
	}
	if len(skipped) != 2 || !strings.Contains(skipped[0].Error+skipped[1].Error, "no sha256") {
		t.Errorf("skipped %+v", skipped)
	}
}
