package envs

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
	"github.com/pydepot/pydepot/internal/testdist"
)

// needTool fails the test when the tool of a Debian package (which the test setup
// installs) is missing.
func needTool(t *testing.T, tool, pkg string) {
	t.Helper()
	testdist.NeedCommand(t, tool, pkg)
}

// TestWorkQueueMakeflow runs an environment through a real Work Queue worker: makeflow
// -T wq submits two tasks whose inputs are the pydepot binary and the tarball; both run
// demoapp inside the environment on the worker.
func TestWorkQueueMakeflow(t *testing.T) {
	needTool(t, "makeflow", "coop-computing-tools")
	needTool(t, "work_queue_worker", "coop-computing-tools")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv := indextest.New(t, buildDists(t), indextest.Options{})
	o := testOptions(t, srv.SimpleURL)
	spec, err := ReadSpec("deps.json", []byte(`{"python": "3.11", "requirements": ["demoapp"]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Create(ctx, spec, "demo", o)
	if err != nil {
		t.Fatal(err)
	}
	flow := t.TempDir()
	if err := os.Rename(res.Output, filepath.Join(flow, "demo.tar.gz")); err != nil {
		t.Fatal(err)
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(flow, "pydepot"), "github.com/pydepot/pydepot/cmd/pydepot")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cache := filepath.Join(t.TempDir(), "worker-cache")
	makeflow := fmt.Sprintf(`export XDG_CACHE_HOME=%s
export PATH=/usr/bin:/bin

out1.txt: pydepot demo.tar.gz
	./pydepot run -e demo.tar.gz -- demoapp > out1.txt

out2.txt: pydepot demo.tar.gz
	./pydepot run demo.tar.gz "demoapp 0 && python3 -c 'import sys; print(sys.prefix)'" > out2.txt
`, cache)
	if err := os.WriteFile(filepath.Join(flow, "flow.mf"), []byte(makeflow), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	mf := exec.CommandContext(ctx, "makeflow", "-T", "wq", "-p", fmt.Sprint(port), "flow.mf")
	mf.Dir = flow
	var mfOut strings.Builder
	mf.Stdout, mf.Stderr = &mfOut, &mfOut
	if err := mf.Start(); err != nil {
		t.Fatal(err)
	}
	worker := exec.CommandContext(ctx, "work_queue_worker", "--single-shot", "-t", "120", "--workdir", t.TempDir(), "127.0.0.1", fmt.Sprint(port))
	var wOut strings.Builder
	worker.Stdout, worker.Stderr = &wOut, &wOut
	time.Sleep(500 * time.Millisecond)
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { worker.Process.Kill(); worker.Wait() }()
	if err := mf.Wait(); err != nil {
		t.Fatalf("makeflow: %v\n%s\nworker:\n%s", err, mfOut.String(), wOut.String())
	}
	out1, _ := os.ReadFile(filepath.Join(flow, "out1.txt"))
	out2, _ := os.ReadFile(filepath.Join(flow, "out2.txt"))
	if strings.TrimSpace(string(out1)) != "hello demo-src from demolib 1.0" {
		t.Errorf("out1.txt = %q", out1)
	}
	lines := strings.Split(strings.TrimSpace(string(out2)), "\n")
	if len(lines) != 2 || lines[0] != "hello demo-src from demolib 1.0" || !strings.HasPrefix(lines[1], filepath.Join(cache, "pydepot", "envs")) {
		t.Errorf("out2.txt = %q", out2)
	}
	// both tasks used one unpacked copy
	ents, _ := os.ReadDir(filepath.Join(cache, "pydepot", "envs"))
	var envDirs []string
	for _, e := range ents {
		if e.IsDir() && len(e.Name()) == 64 {
			envDirs = append(envDirs, e.Name())
		}
	}
	if len(envDirs) != 1 {
		t.Errorf("unpacked copies: %v", envDirs)
	}
}
