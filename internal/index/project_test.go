package index_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// project builds a project from files given as version, filename, yanked reason ("-"
// for not yanked), metadata sha256 and summary.
func project(versions []string, files ...[5]string) *index.Project {
	p := &index.Project{Name: "demo", Versions: versions}
	for _, f := range files {
		file := index.File{Version: f[0], Filename: f[1], MetadataSHA256: f[3], Summary: f[4]}
		if f[2] != "-" {
			file.Yanked, file.YankReason = true, f[2]
		}
		p.Files = append(p.Files, file)
	}
	return p
}

func TestProjectLatest(t *testing.T) {
	file := func(v string, yanked bool) [5]string {
		y := "-"
		if yanked {
			y = "broken"
		}
		return [5]string{v, "demo-" + v + ".tar.gz", y, "", ""}
	}
	tests := []struct {
		name string
		p    *index.Project
		want string
	}{
		{"none", project(nil), ""},
		{"highest final", project([]string{"1.0", "1.10", "1.9"}, file("1.0", false), file("1.10", false), file("1.9", false)), "1.10"},
		{"a pre-release is not latest", project([]string{"1.0", "2.0rc1"}, file("1.0", false), file("2.0rc1", false)), "1.0"},
		{"a yanked release is not latest", project([]string{"1.0", "1.1"}, file("1.0", false), file("1.1", true)), "1.0"},
		{"only pre-releases", project([]string{"1.0a1", "1.0b1"}, file("1.0a1", false), file("1.0b1", false)), "1.0b1"},
		{"everything yanked: the highest version", project([]string{"1.0", "1.1"}, file("1.0", true), file("1.1", true)), "1.1"},
	}
	for _, tt := range tests {
		if got := tt.p.Latest(); got != tt.want {
			t.Errorf("%s: Latest = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestProjectFindVersion(t *testing.T) {
	p := project([]string{"1.0.0", "2.0rc1"})
	for _, tt := range []struct{ want, got string }{{"1.0", "1.0.0"}, {"1.0.0", "1.0.0"}, {"2.0.0rc1", "2.0rc1"}, {"2.0-rc.1", "2.0rc1"}} {
		if got, err := p.FindVersion(tt.want); err != nil || got != tt.got {
			t.Errorf("FindVersion(%q) = %q, %v; want %q", tt.want, got, err, tt.got)
		}
	}
	for _, bad := range []string{"3.0", "not a version", ""} {
		if _, err := p.FindVersion(bad); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("FindVersion(%q) err = %v, want ErrNotFound", bad, err)
		}
	}
}

func TestProjectRelease(t *testing.T) {
	p := project([]string{"1.0", "1.1", "2.0"},
		[5]string{"1.0", "demo-1.0-py3-none-any.whl", "-", "", ""},
		[5]string{"1.0", "demo-1.0.tar.gz", "-", "m1", "first summary"},
		[5]string{"1.1", "demo-1.1-py3-none-any.whl", "bad build", "m2", ""},
		[5]string{"1.1", "demo-1.1.tar.gz", "also bad", "", "later summary"},
		[5]string{"2.0", "demo-2.0.tar.gz", "-", "", ""},
		[5]string{"2.0", "demo-2.0-py3-none-any.whl", "withdrawn", "", ""},
	)
	r := p.Release("1.0")
	if r.Yanked || len(r.Files) != 2 || r.Summary != "first summary" || r.Described == nil || r.Described.Filename != "demo-1.0.tar.gz" {
		t.Errorf("1.0: %+v; want two files, not yanked, described by the file with metadata", r)
	}
	r = p.Release("1.1")
	if !r.Yanked || r.YankReason != "bad build" || r.Summary != "later summary" || r.Described.Filename != "demo-1.1-py3-none-any.whl" {
		t.Errorf("1.1: %+v; want yanked with the first reason", r)
	}
	r = p.Release("2.0")
	if r.Yanked || r.Described.Filename != "demo-2.0.tar.gz" {
		t.Errorf("2.0: %+v; one file of two yanked is not a yanked release; without metadata the first file describes it", r)
	}
	if r := p.Release("9.9"); r.Described != nil || len(r.Files) != 0 || r.Yanked {
		t.Errorf("a version without files: %+v", r)
	}
	var order []string
	for _, r := range p.Releases() {
		order = append(order, r.Version)
		if want := p.Release(r.Version); !reflect.DeepEqual(r, want) {
			t.Errorf("Releases()'s %s = %+v, Release = %+v", r.Version, r, want)
		}
	}
	if !reflect.DeepEqual(order, []string{"2.0", "1.1", "1.0"}) {
		t.Errorf("Releases order %v, want newest first", order)
	}
}
