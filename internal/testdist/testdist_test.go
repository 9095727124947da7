package testdist

import (
	"archive/zip"
	"os/exec"
	"strings"
	"testing"
)

func TestRebuildKeepsMetadataAndFiles(t *testing.T) {
	di, err := FindDistInfo(SitePackages(t), "Jinja2")
	if err != nil {
		t.Fatal(err)
	}
	whl, err := Rebuild(di, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(whl)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	if !names["jinja2/__init__.py"] || !strings.HasSuffix(whl, "-py3-none-any.whl") {
		t.Fatalf("rebuilt wheel %s lacks jinja2/__init__.py: %v", whl, names)
	}
	// pip accepts it: the RECORD hashes are right.
	venv := t.TempDir() + "/venv"
	if out, err := exec.Command("/usr/bin/python3", "-m", "venv", venv).CombinedOutput(); err != nil {
		t.Fatalf("venv: %v\n%s", err, out)
	}
	out, err := exec.Command(venv+"/bin/pip", "install", "-q", "--no-deps", "--no-index", whl).CombinedOutput()
	if err != nil {
		t.Fatalf("pip rejects the rebuilt wheel: %v\n%s", err, out)
	}
}

func TestBuildProject(t *testing.T) {
	whl, sdist, err := BuildProject(t.TempDir(), SimpleProject("demo-pkg", "1.2", "six>=1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(whl, "demo_pkg-1.2-py3-none-any.whl") || !(strings.HasSuffix(sdist, "demo_pkg-1.2.tar.gz") || strings.HasSuffix(sdist, "demo-pkg-1.2.tar.gz")) {
		t.Fatalf("unexpected names %s %s", whl, sdist)
	}
}

func TestCompressTags(t *testing.T) {
	for _, c := range []struct {
		tags []string
		want string
	}{
		{[]string{"py2-none-any", "py3-none-any"}, "py2.py3-none-any"},
		{[]string{"cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"}, "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"},
		{[]string{"py3-none-any"}, "py3-none-any"},
		{[]string{"cp311-cp311-linux_x86_64", "py3-none-any"}, "cp311-cp311-linux_x86_64"},
	} {
		if got := compressTags(c.tags); got != c.want {
			t.Errorf("compressTags(%v) = %q, want %q", c.tags, got, c.want)
		}
	}
}
