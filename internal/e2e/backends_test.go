package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/testdist"
)

// cleanEnv is the environment without the PYDEPOT_ variables of the machine, so that only
// what a test gives counts.
func cleanEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYDEPOT_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// TestServeStoreURLs runs the binary with --database sqlite:///… --blobs file:///… in two
// unrelated folders (no --data), uploads a wheel with the CLI and downloads it again; the
// database and the blobs land where the URLs say, and no ./pydepot-data is made.
func TestServeStoreURLs(t *testing.T) {
	bin := pydepotBin(t)
	root := t.TempDir()
	work, db, blobs := filepath.Join(root, "work"), filepath.Join(root, "meta", "pydepot.db"), filepath.Join(root, "objects")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	whl, _, err := testdist.BuildProject(t.TempDir(), testdist.SimpleProject("url-stores", "1.0"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	const token = "pyd_e2e-admin-token-0123456789abcdef"
	var log bytes.Buffer
	cmd := exec.Command(bin, "serve", "--listen", addr, "--database", "sqlite://"+db, "--blobs", "file://"+blobs)
	cmd.Dir, cmd.Env = work, cleanEnv("PYDEPOT_ADMIN_TOKEN="+token)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(base + "/simple/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not answer /simple/ in time")
		}
	}
	run(t, work, cleanEnv("PYDEPOT_URL="+base, "PYDEPOT_TOKEN="+token), bin, "upload", whl)

	resp, err := http.Get(base + "/simple/url-stores/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`href="([^"#]+\.whl)#sha256=([0-9a-f]{64})"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no wheel link on the project page:\n%s", page)
	}
	href := string(m[1])
	if !strings.HasPrefix(href, "http") {
		href = base + "/simple/url-stores/" + href
	}
	resp, err = http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want, _ := os.ReadFile(whl)
	sum := sha256.Sum256(want)
	if resp.StatusCode != 200 || !bytes.Equal(got, want) || string(m[2]) != hex.EncodeToString(sum[:]) {
		t.Fatalf("download %s: status %d, %d bytes (want %d), link sha256 %s", href, resp.StatusCode, len(got), len(want), m[2])
	}
	if !blobIn(t, blobs, string(m[2])) {
		t.Errorf("blob %s is not under %s, where the URL says", m[2], blobs)
	}
	for _, p := range []string{db, filepath.Join(root, "meta", "tmp")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("not where the URLs say: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "pydepot-data")); !os.IsNotExist(err) {
		t.Errorf("serve made ./pydepot-data though both stores were named: %v", err)
	}
}

// TestServeRefusesScaleOutBackends: postgres:// and s3:// are refused before anything is
// made, with a message naming the issue that brings them.
func TestServeRefusesScaleOutBackends(t *testing.T) {
	bin := pydepotBin(t)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--database", "postgres://pydepot:secret@db.example.com/pydepot", "--blobs", "file://" + dir + "/blobs"},
		{"--database", "sqlite://" + dir + "/pydepot.db", "--blobs", "s3://bucket/pydepot"},
	} {
		out, err := runErr(dir, cleanEnv("PYDEPOT_LISTEN=127.0.0.1:0"), bin, append([]string{"serve"}, args...)...)
		if err == nil || !strings.Contains(out, "scale-out") || strings.Contains(out, "secret") {
			t.Errorf("serve %s: %v\n%s\nwant a failure naming the scale-out issue, without the password", strings.Join(args, " "), err, out)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a refused serve made %v", ents)
	}
}
