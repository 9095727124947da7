package simpleindex_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/simpleindex"
)

// staticTree writes a PEP 503 tree of the given wheels (index.html files with #sha256=
// fragments, no JSON) under dir/simple and dir/files.
func staticTree(t *testing.T, dir string, wheels []string) {
	t.Helper()
	var root bytes.Buffer
	root.WriteString("<!DOCTYPE html><html><body>\n")
	for _, w := range wheels {
		data, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(w)
		project := strings.ToLower(strings.SplitN(name, "-", 2)[0])
		sum := sha256.Sum256(data)
		for _, p := range []string{"files", "simple/" + project} {
			if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "files", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		page := fmt.Sprintf("<!DOCTYPE html><html><body><a href=\"../../files/%s#sha256=%s\">%s</a></body></html>\n", name, hex.EncodeToString(sum[:]), name)
		if err := os.WriteFile(filepath.Join(dir, "simple", project, "index.html"), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&root, "<a href=\"%s/\">%s</a>\n", project, project)
	}
	root.WriteString("</body></html>\n")
	if err := os.WriteFile(filepath.Join(dir, "simple", "index.html"), root.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startNginx serves dir on 127.0.0.1 and returns its root URL; it stops with the test.
func startNginx(t *testing.T, dir string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("need nginx (apt-get install nginx-light, or make test-deps): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	run := t.TempDir()
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // the workers read the test's private temp dirs
	}
	conf := fmt.Sprintf(`%s
worker_processes 1;
pid %s/nginx.pid;
error_log %s/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s; uwsgi_temp_path %s; scgi_temp_path %s;
  types { text/html html; application/octet-stream whl; }
  server { listen %s; root %s; index index.html; }
}
`, user, run, run, run, run, run, run, run, addr, dir)
	confPath := filepath.Join(run, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", confPath, "-p", run, "-e", filepath.Join(run, "error.log"), "-g", "daemon off;")
	out, err := os.Create(filepath.Join(run, "stdout")) // a file: the workers' copy of it must not hold Wait
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) // the master stops its workers
		cmd.Wait()
	})
	url := "http://" + addr
	hc := &http.Client{Timeout: time.Second}
	for range 100 {
		if resp, err := hc.Get(url + "/simple/"); err == nil {
			resp.Body.Close()
			return url
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(run, "error.log"))
	stdout, _ := os.ReadFile(out.Name())
	t.Fatalf("nginx did not start: %s %s", stdout, log)
	return ""
}

// TestAgainstNginx: a static tree behind nginx: the listing, the pages with their
// #sha256= fragments, 304 by ETag and by Last-Modified, a verified fetch.
func TestAgainstNginx(t *testing.T) {
	paths := realWheels(t)
	dir := t.TempDir()
	staticTree(t, dir, paths)
	root := startNginx(t, dir)
	c, _ := simpleindex.New([]string{root + "/simple/"}, nil, simpleindex.Options{})
	var names []string
	if _, err := c.ProjectList(t.Context(), func(n string) error { names = append(names, n); return nil }); err != nil || len(names) != len(paths) {
		t.Fatalf("list: %v, %v", names, err)
	}
	page, nm, err := c.ProjectIfChanged(t.Context(), "pip", "", "")
	if err != nil || nm || len(page.Files) != 1 || page.ETag == "" || page.LastModified == "" {
		t.Fatalf("page: %+v, %v", page, err)
	}
	f := page.Files[0]
	if f.SHA256() == "" || f.URL != root+"/files/"+f.Filename {
		t.Errorf("file from the static page: %+v", f)
	}
	if _, nm, err := c.ProjectIfChanged(t.Context(), "pip", page.ETag, ""); err != nil || !nm {
		t.Errorf("by ETag: notModified=%v, %v", nm, err)
	}
	if _, nm, err := c.ProjectIfChanged(t.Context(), "pip", "", page.LastModified); err != nil || !nm {
		t.Errorf("by Last-Modified: notModified=%v, %v", nm, err)
	}
	got, err := c.Fetch(t.Context(), f, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(got)
	want, _ := os.ReadFile(filepath.Join(dir, "files", f.Filename))
	if !bytes.Equal(data, want) {
		t.Error("fetched bytes differ")
	}
}
