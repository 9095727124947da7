package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/testdist"
)

// The upstreams the mirroring tests sync from, each a real index on 127.0.0.1 serving the
// mirror corpus: nginx over a static PEP 503 tree, devpi-server, pypiserver and another
// pydepot. Each is started once per test process (sharedUpstream) and stopped by TestMain;
// a test that stops or slows its upstream starts its own.

// upstream is a running index; Simple is its simple API root, ending in "/".
type upstream struct {
	Kind      string
	Simple    string
	AccessLog string // nginx's access log, when nginxOptions.AccessLog
	stop      func()
}

var (
	atExitMu  sync.Mutex
	atExitFns []func()
)

// atExit registers fn to run when the tests of this process are done (TestMain).
func atExit(fn func()) {
	atExitMu.Lock()
	defer atExitMu.Unlock()
	atExitFns = append(atExitFns, fn)
}

func runAtExit() {
	atExitMu.Lock()
	defer atExitMu.Unlock()
	for i := len(atExitFns) - 1; i >= 0; i-- {
		atExitFns[i]()
	}
	atExitFns = nil
}

// upstreamKinds are the kinds sharedUpstream starts.
var upstreamKinds = []string{"nginx", "devpi", "pypiserver", "pydepot"}

var (
	upstreamMu   sync.Mutex
	upstreamOnce = map[string]*sync.Once{}
	upstreamVal  = map[string]*upstream{}
	upstreamErr  = map[string]error{}
)

// sharedUpstream returns the upstream of kind (one of upstreamKinds) serving the mirror
// corpus, starting it on first use; it runs until the test process ends.
func sharedUpstream(t *testing.T, kind string) *upstream {
	t.Helper()
	c := buildMirrorCorpus(t)
	var start func(dir string) (*upstream, error)
	switch kind {
	case "nginx":
		start = func(dir string) (*upstream, error) { return startNginxTree(dir, c.Dists, nginxOptions{}) }
	case "devpi":
		bin, twine := devpiBin(t), testdist.Tool(t, "twine")
		start = func(dir string) (*upstream, error) { return startDevpi(dir, bin, twine, c.Paths()) }
	case "pypiserver":
		bin := testdist.Tool(t, "pypi-server")
		start = func(dir string) (*upstream, error) { return startPypiserver(dir, bin, c.Paths()) }
	case "pydepot":
		bin := pydepotBin(t)
		start = func(dir string) (*upstream, error) { return startPydepotUpstream(dir, bin, c) }
	default:
		t.Fatalf("no upstream kind %q", kind)
	}
	upstreamMu.Lock()
	once := upstreamOnce[kind]
	if once == nil {
		once = new(sync.Once)
		upstreamOnce[kind] = once
	}
	upstreamMu.Unlock()
	once.Do(func() {
		dir := filepath.Join(shared, "upstream-"+kind)
		u, err := func() (*upstream, error) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			return start(dir)
		}()
		if u != nil {
			atExit(u.stop)
		}
		upstreamMu.Lock()
		upstreamVal[kind], upstreamErr[kind] = u, err
		upstreamMu.Unlock()
	})
	upstreamMu.Lock()
	defer upstreamMu.Unlock()
	if err := upstreamErr[kind]; err != nil {
		t.Fatalf("upstream %s: %v", kind, err)
	}
	return upstreamVal[kind]
}

// process is a fixture's long-running command, its output in a log file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startProcess starts name with args (environment: commandEnv(env)), its output in logPath.
func startProcess(logPath string, env []string, name string, args ...string) (*process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Env = commandEnv(env)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: filepath.Base(name), cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	return p, nil
}

// waitHTTP waits until url answers 200, failing early when the process exits.
func (p *process) waitHTTP(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before answering %s; log:\n%s", p.name, url, p.logText())
		case <-time.After(100 * time.Millisecond):
		}
	}
	p.stop()
	return fmt.Errorf("%s did not answer %s within %s; log:\n%s", p.name, url, timeout, p.logText())
}

// stop ends the process (SIGTERM, then SIGKILL after 10 s) and waits for it.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *process) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// runIn runs a fixture's setup command and returns an error with its output when it fails.
func runIn(dir string, env []string, name string, args ...string) error {
	out, err := runErr(dir, env, name, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return nil
}

// nginxOptions change how startNginx serves.
type nginxOptions struct {
	// Rate, when not "", limits every response to that many bytes a second (nginx's
	// limit_rate, as "32k"): a slow upstream.
	Rate string
	// Proxy, when not "", makes nginx a reverse proxy to that URL instead of a static server.
	Proxy string
	// AccessLog logs every request (to count what a mirror fetched).
	AccessLog bool
}

// writeStaticTree writes dists as a static PEP 503 tree under root: simple/index.html
// listing the projects, simple/PROJECT/index.html with an anchor per file carrying its
// #sha256= fragment and data-requires-python, and the files under files/. No JSON, no
// metadata files, no upload times: what dir2pi or a hand-made tree offers.
func writeStaticTree(root string, dists []mirrorDist) error {
	pages := map[string]*strings.Builder{}
	var order []string
	for _, d := range dists {
		data, err := os.ReadFile(d.Path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(root, "files"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(root, "files", d.Filename()), data, 0o644); err != nil {
			return err
		}
		b := pages[d.Project]
		if b == nil {
			b = &strings.Builder{}
			fmt.Fprintf(b, "<!DOCTYPE html>\n<html><head><title>Links for %s</title></head><body>\n<h1>Links for %s</h1>\n", d.Project, d.Project)
			pages[d.Project] = b
			order = append(order, d.Project)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(b, "<a href=\"../../files/%s#sha256=%s\" data-requires-python=\"%s\">%s</a><br/>\n",
			d.Filename(), hex.EncodeToString(sum[:]), html.EscapeString(d.RequiresPython), d.Filename())
	}
	var index strings.Builder
	index.WriteString("<!DOCTYPE html>\n<html><head><title>Simple index</title></head><body>\n")
	for _, p := range order {
		fmt.Fprintf(&index, "<a href=\"%s/\">%s</a><br/>\n", p, p)
		pages[p].WriteString("</body></html>\n")
		if err := os.MkdirAll(filepath.Join(root, "simple", p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(root, "simple", p, "index.html"), []byte(pages[p].String()), 0o644); err != nil {
			return err
		}
	}
	index.WriteString("</body></html>\n")
	return os.WriteFile(filepath.Join(root, "simple", "index.html"), []byte(index.String()), 0o644)
}

// startNginxTree writes dists as a static tree in dir/www and serves it with nginx.
func startNginxTree(dir string, dists []mirrorDist, o nginxOptions) (*upstream, error) {
	www := filepath.Join(dir, "www")
	if err := writeStaticTree(www, dists); err != nil {
		return nil, err
	}
	return startNginx(dir, www, o)
}

// startNginx runs Debian's nginx (nginx-light, from the test setup) in the foreground
// serving root (or proxying, see nginxOptions), with its configuration, pid, logs and
// temporary folders under dir. master_process off keeps the one process as the user running
// the tests, who can read the test's folders.
func startNginx(dir, root string, o nginxOptions) (*upstream, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	var limit, body string
	accessLog := "off"
	if o.AccessLog {
		accessLog = filepath.Join(dir, "access.log")
	}
	if o.Rate != "" {
		limit = "limit_rate " + o.Rate + ";"
	}
	if o.Proxy != "" {
		// proxy_buffering stays on when a rate is set: nginx paces what it sends from its
		// buffers, and with buffering off the upstream's bytes went through unpaced.
		buffering := "proxy_buffering off;"
		if o.Rate != "" {
			buffering = ""
		}
		body = fmt.Sprintf("location / { proxy_pass %s; proxy_set_header Host $http_host; %s %s }", o.Proxy, buffering, limit)
	} else {
		body = fmt.Sprintf("root %s; location / { index index.html; %s }", root, limit)
	}
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
    access_log %[4]s;
    types { text/html html; }
    default_type application/octet-stream;
    client_body_temp_path %[1]s/tmp/body;
    proxy_temp_path %[1]s/tmp/proxy;
    fastcgi_temp_path %[1]s/tmp/fastcgi;
    uwsgi_temp_path %[1]s/tmp/uwsgi;
    scgi_temp_path %[1]s/tmp/scgi;
    server {
        listen %[2]s;
        %[3]s
    }
}
`, dir, addr, body, accessLog)
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	p, err := startProcess(filepath.Join(dir, "nginx.out"), nil, "/usr/sbin/nginx", "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	if err != nil {
		return nil, fmt.Errorf("%w (nginx-light comes from scripts/install-test-deps.sh)", err)
	}
	u := &upstream{Kind: "nginx", Simple: "http://" + addr + "/simple/", stop: p.stop}
	if o.AccessLog {
		u.AccessLog = accessLog
	}
	if err := p.waitHTTP(u.Simple, 20*time.Second); err != nil {
		errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return nil, fmt.Errorf("%w\nerror.log:\n%s", err, errLog)
	}
	return u, nil
}

// devpiBin is the bin folder of the devpi-server venv the test setup made (devpi-server,
// devpi-init and devpi-client's devpi are in it).
func devpiBin(t *testing.T) string {
	t.Helper()
	p, err := filepath.EvalSymlinks(testdist.Tool(t, "devpi-server"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(p)
}

// startDevpi runs devpi-server offline (no root/pypi, so it never mirrors PyPI) on a
// server folder made by devpi-init, makes the user e2e and its index e2e/dev with
// devpi-client, and uploads files there with twine; it serves e2e/dev/+simple/.
func startDevpi(dir, bin, twine string, files []string) (*upstream, error) {
	const user, password = "e2e", "e2e-secret"
	env, err := clientEnvIn(filepath.Join(dir, "home"))
	if err != nil {
		return nil, err
	}
	serverDir, clientDir := filepath.Join(dir, "server"), filepath.Join(dir, "client")
	if err := runIn(dir, env, filepath.Join(bin, "devpi-init"), "--serverdir", serverDir, "--no-root-pypi", "--root-passwd", "root-secret"); err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	host, port, _ := strings.Cut(addr, ":")
	p, err := startProcess(filepath.Join(dir, "devpi-server.log"), env, filepath.Join(bin, "devpi-server"),
		"--serverdir", serverDir, "--host", host, "--port", port, "--offline-mode")
	if err != nil {
		return nil, err
	}
	root := "http://" + addr
	if err := p.waitHTTP(root+"/+api", 90*time.Second); err != nil {
		return nil, err
	}
	devpi := func(args ...string) error {
		return runIn(dir, env, filepath.Join(bin, "devpi"), append([]string{"--clientdir", clientDir}, args...)...)
	}
	steps := [][]string{
		{"use", root},
		{"user", "-c", user, "password=" + password},
		{"login", user, "--password", password},
		{"index", "-c", "dev", "volatile=False"},
	}
	for _, s := range steps {
		if err := devpi(s...); err != nil {
			p.stop()
			return nil, err
		}
	}
	args := append([]string{"upload", "--non-interactive", "--disable-progress-bar", "--repository-url", root + "/" + user + "/dev/", "-u", user, "-p", password}, files...)
	if err := runIn(dir, env, twine, args...); err != nil {
		p.stop()
		return nil, err
	}
	return &upstream{Kind: "devpi", Simple: root + "/" + user + "/dev/+simple/", stop: p.stop}, nil
}

// startPypiserver copies files into a folder and serves it with pypiserver (no fallback to
// PyPI, sha256 fragments).
func startPypiserver(dir, bin string, files []string) (*upstream, error) {
	pkgs := filepath.Join(dir, "packages")
	if err := os.MkdirAll(pkgs, 0o755); err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(pkgs, filepath.Base(f)), data, 0o644); err != nil {
			return nil, err
		}
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	host, port, _ := strings.Cut(addr, ":")
	p, err := startProcess(filepath.Join(dir, "pypi-server.log"), nil, bin,
		"run", "-i", host, "-p", port, "--disable-fallback", "--hash-algo", "sha256", pkgs)
	if err != nil {
		return nil, err
	}
	u := &upstream{Kind: "pypiserver", Simple: "http://" + addr + "/simple/", stop: p.stop}
	if err := p.waitHTTP(u.Simple, 30*time.Second); err != nil {
		return nil, err
	}
	return u, nil
}

// upstreamYank is the release the pydepot upstream yanks, with its reason.
var upstreamYank = struct{ Project, Version, Reason string }{"tree-leaf", "2.0", "the payload is too big"}

// startPydepotUpstream runs another pydepot serving the corpus in its main repository,
// uploaded with `pydepot upload` (so each file has its upload time and its PEP 658
// metadata file), with upstreamYank yanked with its reason.
func startPydepotUpstream(dir, bin string, c mirrorCorpus) (*upstream, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	s, err := launchServer(bin, filepath.Join(dir, "data"), addr, filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	env := s.adminEnv()
	if err := runIn(dir, env, bin, append([]string{"upload"}, c.Paths()...)...); err != nil {
		s.stop()
		return nil, err
	}
	if err := runIn(dir, env, bin, "yank", upstreamYank.Project, upstreamYank.Version, "--reason", upstreamYank.Reason); err != nil {
		s.stop()
		return nil, err
	}
	return &upstream{Kind: "pydepot", Simple: s.URL + "/simple/", stop: s.stop}, nil
}

// startOwnNginx starts an nginx upstream of the mirror corpus for t alone (to stop or slow
// it), stopped when t ends; stop may also be called earlier, once.
func startOwnNginx(t *testing.T, o nginxOptions) *upstream {
	t.Helper()
	c := buildMirrorCorpus(t)
	u, err := startNginxTree(t.TempDir(), c.Dists, o)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := u.stop
	u.stop = func() { once.Do(stop) }
	t.Cleanup(u.stop)
	return u
}

// TestUpstreamsServePip: each upstream kind, and the slow nginx proxy in front of the pydepot
// one, serves the mirror corpus to real pip: pip downloads tree-leaf 1.0's wheel from it with
// the corpus's bytes; from pydepot, an unpinned tree-leaf gets 1.0 too, since 2.0 is yanked
// there.
func TestUpstreamsServePip(t *testing.T) {
	t.Parallel()
	c := buildMirrorCorpus(t)
	var want mirrorDist
	for _, d := range c.Project("tree-leaf") {
		if d.Version == "1.0" && strings.HasSuffix(d.Path, ".whl") {
			want = d
		}
	}
	for _, kind := range append(slices.Clone(upstreamKinds), "slow-proxy") {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var u *upstream
			if kind == "slow-proxy" {
				u = startSlowProxy(t, sharedUpstream(t, "pydepot"))
			} else {
				u = sharedUpstream(t, kind)
			}
			env, _ := clientEnv(t)
			reqs := []string{"tree-leaf==1.0"}
			if kind == "pydepot" || kind == "slow-proxy" {
				reqs = append(reqs, "tree-leaf")
			}
			for _, req := range reqs {
				dest := t.TempDir()
				run(t, "", env, testdist.Tool(t, "pip"), "download", "--no-deps", "--only-binary", ":all:",
					"--index-url", u.Simple, "-d", dest, req)
				got := filepath.Join(dest, want.Filename())
				if _, err := os.Stat(got); err != nil {
					entries, _ := os.ReadDir(dest)
					t.Fatalf("pip download %s from %s: no %s (got %v)", req, kind, want.Filename(), entries)
				}
				if fileSHA(t, got) != fileSHA(t, want.Path) {
					t.Fatalf("pip download %s from %s: other bytes than the corpus's", req, kind)
				}
			}
		})
	}
}

// slowRate is what startSlowProxy lets through per response: the corpus's small files
// arrive at once, its ~150 KB ones take seconds.
const slowRate = "24k"

// startSlowProxy puts an nginx reverse proxy sending every response at slowRate in front of
// u (a pydepot, whose pages link files relatively), for t alone.
func startSlowProxy(t *testing.T, u *upstream) *upstream {
	t.Helper()
	p, err := startNginx(t.TempDir(), "", nginxOptions{Proxy: strings.TrimSuffix(u.Simple, "simple/"), Rate: slowRate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}
