package checkrun_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkrun"

	"github.com/pydepot/pydepot/internal/checkreport"
)

// entry is one top-level entry of a folder: its kind and mode, and for a regular file
// the sha256 of its bytes.
type entry struct{ kind, sum string }

// snapshot lists the top level of dir with a hash of every regular file.
func snapshot(t *testing.T, dir string) map[string]entry {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]entry{}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			continue // gone meanwhile (another process's temporary file)
		}
		en := entry{kind: info.Mode().String()}
		if info.Mode().IsRegular() {
			if f, err := os.Open(filepath.Join(dir, e.Name())); err == nil {
				h := sha256.New()
				io.Copy(h, f)
				f.Close()
				en.sum = hex.EncodeToString(h.Sum(nil))
			}
		}
		out[e.Name()] = en
	}
	return out
}

// unchanged compares two snapshots. HOME must be the same entry for entry. /tmp is
// shared with every other process of the machine (other tests make and remove their
// folders there while this one runs): there, every regular file of before that is still
// there must hold the same bytes, and no entry may carry the fixture's mark.
func unchanged(t *testing.T, what string, before, after map[string]entry, strict bool, mark string) {
	t.Helper()
	for name, a := range after {
		if strings.Contains(name, mark) {
			t.Errorf("%s: the hostile package's %s appeared on the host", what, name)
			continue
		}
		b, ok := before[name]
		switch {
		case !ok && strict:
			t.Errorf("%s: %s appeared", what, name)
		case ok && b != a && (strict || b.sum != ""):
			t.Errorf("%s: %s changed (%v -> %v)", what, name, b, a)
		}
	}
	if strict {
		for name := range before {
			if _, ok := after[name]; !ok {
				t.Errorf("%s: %s disappeared", what, name)
			}
		}
	}
}

// The hostile sdist: its setup.py tries a connection, writes into HOME, drops a file in
// /tmp, reads a decoy credential and spawns a shell. The check fails with those
// findings, and the host's HOME and /tmp are unchanged.
func TestHostile(t *testing.T) {
	mark := "mark" + rand.Text()[:12]
	files := map[string]string{"setup.py": strings.ReplaceAll(hostileSetup, "@MARK@", mark), "hostile/__init__.py": ""}
	src := writeSdist(t, t.TempDir(), "hostile", "1.0", files)
	cfg := testConfig(t, debianWheels(t)...)
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	homeBefore, tmpBefore := snapshot(t, home), snapshot(t, "/tmp")
	r, err := checkrun.New(cfg).Check(t.Context(), input(t, src))
	if err != nil {
		t.Fatal(err)
	}
	unchanged(t, "HOME "+home, homeBefore, snapshot(t, home), true, mark)
	unchanged(t, "/tmp", tmpBefore, snapshot(t, "/tmp"), false, mark)

	if b := task(t, r, checkreport.StepBuild); b.Status != checkreport.Passed || !strings.Contains(b.Log, "spawned a shell") {
		t.Fatalf("the hostile setup.py did not run to its end in the build: %s %s\n%s", b.Status, b.Error, b.Log)
	}
	if tr := task(t, r, checkreport.StepTraceReport); tr.Status != checkreport.Passed {
		t.Fatalf("trace-report: %s %s", tr.Status, tr.Error)
	}
	for _, want := range []struct {
		kind   checkreport.Kind
		detail string
	}{
		{checkreport.Network, "203.0.113.7"},
		{checkreport.WriteOutside, ".hostile-" + mark},
		{checkreport.Exec, "/bin/sh"},
		{checkreport.ReadSecrets, ".aws/credentials"},
	} {
		if !hasFinding(r, checkreport.StepBuild, want.kind, want.detail) {
			t.Errorf("no %s finding of build naming %s", want.kind, want.detail)
		}
	}
	if r.Verdict != checkreport.Fail {
		t.Errorf("verdict %s, want fail", r.Verdict)
	}
	if t.Failed() {
		t.Log(dump(r))
	}
	// The drop in /tmp went to the sandbox's private /tmp: it is nowhere on the host.
	if _, err := os.Stat("/tmp/hostile-" + mark); err == nil {
		t.Errorf("/tmp/hostile-%s is on the host", mark)
	}
}
