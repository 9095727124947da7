// Package e2e drives a real pydepot binary with the real clients users run: today's uv,
// pip, twine, poetry, pdm, hatch and pipenv (pinned, installed by scripts/install-test-deps.sh
// into .tools and found through testdist.Tool), Debian's older twine, poetry and pip for one
// "old clients" test each, makeflow, and pydepot's own CLI. Every client runs with its home,
// caches and configuration in temporary folders and with a proxy that refuses everything but
// 127.0.0.1, so a test never reads the machine's settings nor reaches another index.
//
// The mirroring tests sync with the binary from real upstreams on 127.0.0.1 (upstreams_test.go):
// nginx over a static PEP 503 tree, devpi-server and pypiserver (pinned like the clients),
// another pydepot, and the fault-injecting index of internal/simpleindex/faultyindex, each
// serving a small dependency graph the tests build (mirrorcorpus_test.go).
package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/testdist"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// shared holds what tests of this process share (the binary, the corpus); TestMain
// (cache_isolation_test.go) removes it.
var shared = mustTempDir()

func mustTempDir() string {
	dir, err := os.MkdirTemp("", "pydepot-e2e-")
	if err != nil {
		panic(err)
	}
	return dir
}

// pydepotBin builds the binary once per test process.
func pydepotBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binPath = filepath.Join(shared, "pydepot")
		cmd := exec.Command("go", "build", "-o", binPath, "../../cmd/pydepot")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// needTools fails the test unless the test setup (scripts/install-test-deps.sh, run by
// `make test`) installed every pinned client; it never skips and never installs, so that
// nothing is installed from inside parallel tests.
func needTools(t *testing.T) {
	t.Helper()
	for _, name := range testdist.Clients {
		testdist.Tool(t, name)
	}
}

// server is a running `pydepot serve`.
type server struct {
	URL   string // http://127.0.0.1:PORT
	Token string // the admin token
	Data  string
	log   *os.File
	cmd   *exec.Cmd
	done  chan struct{}    // closed when the process has exited
	store *blobstore.Store // its blob store, read by the tests (blobStore)
}

// adminEnv is the environment of a `pydepot` command run with the admin token.
func (s *server) adminEnv() []string {
	return []string{"PYDEPOT_URL=" + s.URL, "PYDEPOT_TOKEN=" + s.Token}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// freePort returns a 127.0.0.1:PORT that was free a moment ago.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}

// startServer runs `pydepot serve` on a fresh data directory and waits for /simple/; it
// stops when the test ends.
func startServer(t *testing.T, extraEnv ...string) *server {
	t.Helper()
	return startServerOn(t, "http", http.DefaultClient, extraEnv...)
}

// startServerOn is startServer for a server answering scheme (https when extraEnv sets
// PYDEPOT_TLS_CERT and PYDEPOT_TLS_KEY), polled with hc.
func startServerOn(t *testing.T, scheme string, hc *http.Client, extraEnv ...string) *server {
	t.Helper()
	s, err := launchServerOn(scheme, hc, pydepotBin(t), t.TempDir(), freeAddr(t), filepath.Join(t.TempDir(), "serve.log"), extraEnv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", s.logText())
		}
	})
	return s
}

// launchServer runs `pydepot serve` on the data directory data (fresh or left by an earlier
// server) at addr, its output appended to logPath, and waits for /simple/. The caller stops
// it (stop or kill).
func launchServer(bin, data, addr, logPath string, extraEnv ...string) (*server, error) {
	return launchServerOn("http", http.DefaultClient, bin, data, addr, logPath, extraEnv...)
}

// launchServerOn is launchServer for a server answering scheme, polled with hc.
func launchServerOn(scheme string, hc *http.Client, bin, data, addr, logPath string, extraEnv ...string) (*server, error) {
	s := &server{Data: data, Token: "pyd_e2e-admin-token-0123456789abcdef", URL: scheme + "://" + addr}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	s.log = logf
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(os.Environ(), "PYDEPOT_LISTEN="+addr, "PYDEPOT_DATA="+s.Data, "PYDEPOT_ADMIN_TOKEN="+s.Token)
	s.cmd.Env = append(s.cmd.Env, extraEnv...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = childAttr()
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := hc.Get(s.URL + "/simple/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("pydepot serve exited before answering /simple/; log:\n%s", s.logText())
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.kill()
	return nil, fmt.Errorf("pydepot serve did not answer /simple/ in time; log:\n%s", s.logText())
}

// stop interrupts the server and waits for it to exit (killing it after 10 s).
func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.kill()
	}
}

// kill sends SIGKILL, as a crash or the OOM killer would, and waits for the process to go.
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// logText is what the server printed so far.
func (s *server) logText() string {
	b, _ := os.ReadFile(s.log.Name())
	return string(b)
}

// run runs a command with a timeout and returns its combined output; it fails the test on
// a non-zero exit unless allowFail.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := runErr(dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(dir string, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = commandEnv(env)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// venv makes a fresh venv with Debian's Python 3.11 (`python3 -m venv`, so Debian's pip
// 23 is in it) and returns its bin directory.
func venv(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "venv")
	run(t, "", pipEnv(t), testdist.DebianTool(t, "python3", "3.11"), "-m", "venv", dir)
	return filepath.Join(dir, "bin")
}

// pipEnv keeps pip away from any configuration or cache of the machine (see clientEnv).
func pipEnv(t *testing.T) []string {
	env, _ := clientEnv(t)
	return env
}
