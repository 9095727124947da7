package interpreters

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// twoOf returns two different interpreters of the same major.minor on this machine
// (pyenv's 3.11 and Debian's, say), found by version.
func twoOf(t *testing.T) (a, b *Interpreter) {
	t.Helper()
	byMM := map[string][]*Interpreter{}
	for _, in := range Discover(context.Background(), Options{PATH: "/nonexistent"}) {
		byMM[in.MajorMinor()] = append(byMM[in.MajorMinor()], in)
	}
	for _, ins := range byMM {
		if len(ins) >= 2 {
			return ins[0], ins[1]
		}
	}
	t.Fatalf("no two interpreters of one version on this machine: %v", byMM)
	return nil, nil
}

// TestDefaultIsFirstPython3OnPath: with PATH=A:B where A holds python3.11 of one
// build and B the python3 of another 3.11, discovery takes B's, the one the docs
// name (the first python3 on PATH), for "", "3" and "3.11" alike.
func TestDefaultIsFirstPython3OnPath(t *testing.T) {
	other, want := twoOf(t)
	a, b := t.TempDir(), t.TempDir()
	if err := os.Symlink(other.RealPath, filepath.Join(a, "python"+other.MajorMinor())); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(want.RealPath, filepath.Join(b, "python3")); err != nil {
		t.Fatal(err)
	}
	o := Options{PATH: a + string(filepath.ListSeparator) + b, PyenvRoot: t.TempDir(), ExtraDirs: []string{}}
	if p, err := DefaultPath(o); err != nil || p != filepath.Join(b, "python3") {
		t.Fatalf("DefaultPath = %s, %v", p, err)
	}
	for _, v := range []string{"", "3", want.MajorMinor()} {
		in, err := Find(context.Background(), v, o)
		if err != nil {
			t.Fatal(err)
		}
		if in.RealPath != want.RealPath {
			t.Errorf("Find(%q) = %s, want the python3 on PATH (%s)", v, in.RealPath, want.RealPath)
		}
	}
	if ins := Discover(context.Background(), o); len(ins) == 0 || ins[0].RealPath != want.RealPath {
		t.Errorf("Discover does not list the python3 on PATH first: %v", ins)
	}
	// An exact version still wins over the default.
	if other.Version != want.Version {
		in, err := Find(context.Background(), other.Version, o)
		if err != nil || in.RealPath != other.RealPath {
			t.Errorf("Find(%s) = %v, %v", other.Version, in, err)
		}
	}
}

// TestQueryIsolated: a json.py (or any module named like the standard library) in
// the current folder does not break the query.
func TestQueryIsolated(t *testing.T) {
	in, _ := twoOf(t)
	dir := t.TempDir()
	for _, m := range []string{"json", "platform", "sysconfig", "os", "site"} {
		if err := os.WriteFile(filepath.Join(dir, m+".py"), []byte("raise SystemExit('shadowed "+m+"')\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	got, err := Query(context.Background(), in.Path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != in.Version {
		t.Errorf("version %s, want %s", got.Version, in.Version)
	}
}
