package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testEnv(vars map[string]string) (Env, *syncBuffer, *syncBuffer) {
	out, errb := &syncBuffer{}, &syncBuffer{}
	return Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: errb, Getenv: func(k string) string { return vars[k] }}, out, errb
}

// TestServeAndClientCommands starts `pydepot serve` on a free port, drives it with the
// client commands, and stops it through its context.
func TestServeAndClientCommands(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	senv, sout, serr := testEnv(map[string]string{"PYDEPOT_DATA": data, "PYDEPOT_LISTEN": "127.0.0.1:0"})
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"serve"}, senv) }()

	urlRE := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)/`)
	tokRE := regexp.MustCompile(`\n  (\S+)\n`)
	var base, admin string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(serr.String()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatalf("server did not start: %s", serr.String())
	}
	if m := tokRE.FindStringSubmatch(sout.String()); m != nil {
		admin = m[1]
	} else {
		t.Fatalf("no admin token printed: %q", sout.String())
	}

	run := func(args ...string) (int, string, string) {
		env, out, errb := testEnv(map[string]string{"PYDEPOT_URL": base, "PYDEPOT_TOKEN": admin})
		root := NewRoot(env)
		root.AddCommand(newUnyankCmd(env), newRemoveCmd(env)) // until root.go registers them
		root.SetArgs(args)
		code := 0
		if err := root.ExecuteContext(ctx); err != nil {
			code = 1
			errb.Write([]byte(err.Error()))
		}
		return code, out.String(), errb.String()
	}
	whl := "/usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl"
	steps := []struct {
		args []string
		code int
		out  string // expected in stdout (or stderr on failure)
	}{
		{[]string{"repo", "list"}, 0, "main"},
		{[]string{"repo", "create", "team", "--description", "the team"}, 0, "created repository team"},
		{[]string{"repo", "create", "team"}, 1, "409"},
		{[]string{"upload", "-r", "team", whl}, 0, "uploaded wheel-0.38.4-py3-none-any.whl to team"},
		{[]string{"upload", "-r", "team", whl}, 0, "already in team"},
		{[]string{"upload", "-d", "main", whl}, 0, "uploaded"},
		{[]string{"upload", "/etc/passwd"}, 1, "not a wheel or sdist"},
		{[]string{"repo", "show", "team"}, 0, "latest:       1"},
		{[]string{"yank", "-r", "team", "wheel", "0.38.4", "--reason", "bad"}, 0, "yanked wheel 0.38.4 in team"},
		{[]string{"unyank", "-r", "team", "wheel", "0.38.4"}, 0, "unyanked"},
		{[]string{"remove", "-r", "team", "wheel", "0.38.4"}, 0, "removed wheel 0.38.4"},
		{[]string{"repo", "versions", "team"}, 0, "remove"},
		{[]string{"repo", "rollback", "team", "1"}, 0, "now at version 5"},
		{[]string{"repo", "rollback", "team", "x"}, 1, "want a version number"},
		{[]string{"distribution", "create", "team/dev", "--repository", "team", "--private"}, 0, "private"},
		{[]string{"distribution", "update", "team/dev", "--pin", "1", "--public"}, 0, "version 1, public"},
		{[]string{"distribution", "show", "team/dev"}, 0, "/team/dev/simple/"},
		{[]string{"distribution", "list"}, 0, "team/dev"},
		{[]string{"distribution", "delete", "team/dev"}, 0, "deleted"},
		{[]string{"token", "create", "ci", "--scope", "upload", "-r", "team"}, 0, "pyd"},
		{[]string{"token", "list"}, 0, "ci"},
		{[]string{"token", "revoke", "2"}, 0, "revoked token 2"},
		{[]string{"__complete", "repo", "show", "t"}, 0, "team"},
		{[]string{"__complete", "distribution", "delete", ""}, 0, "main"},
	}
	for _, s := range steps {
		code, out, errs := run(s.args...)
		if code != s.code || !strings.Contains(out+errs, s.out) {
			t.Errorf("pydepot %s: exit %d (want %d)\nstdout: %s\nstderr: %s\nwant %q", strings.Join(s.args, " "), code, s.code, out, errs, s.out)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, serr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
	// A second start keeps the data and prints no new token.
	ctx2, cancel2 := context.WithCancel(context.Background())
	senv2, sout2, serr2 := testEnv(map[string]string{"PYDEPOT_DATA": data, "PYDEPOT_LISTEN": "127.0.0.1:0"})
	go func() { done <- Main(ctx2, []string{"serve"}, senv2) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !urlRE.MatchString(serr2.String()); time.Sleep(50 * time.Millisecond) {
	}
	cancel2()
	<-done
	if strings.Contains(sout2.String(), "Admin token") {
		t.Errorf("second start printed a token: %s", sout2.String())
	}
}

func TestServeFlagsFromEnv(t *testing.T) {
	env, _, _ := testEnv(map[string]string{"PYDEPOT_LISTEN": "127.0.0.1:9999", "PYDEPOT_DATA": "/x", "PYDEPOT_MAX_UPLOAD": "200MB"})
	cmd := newServeCmd(env)
	for flag, want := range map[string]string{"listen": "127.0.0.1:9999", "data": "/x", "max-upload": "200MB"} {
		if got := cmd.Flags().Lookup(flag).Value.String(); got != want {
			t.Errorf("--%s default %q, want %q", flag, got, want)
		}
	}
	env, _, _ = testEnv(map[string]string{})
	cmd = newServeCmd(env)
	if got := cmd.Flags().Lookup("listen").Value.String(); got != "127.0.0.1:8080" {
		t.Errorf("default listen %q", got)
	}
	if got := cmd.Flags().Lookup("data").Value.String(); got != "./pydepot-data" {
		t.Errorf("default data %q", got)
	}
}

func TestServeLimitFlags(t *testing.T) {
	env, _, _ := testEnv(map[string]string{"PYDEPOT_PUBLIC_URL": "https://pypi.example.com/", "PYDEPOT_MIN_BODY_RATE": "64KiB/10s", "PYDEPOT_WRITE_TIMEOUT": "90s"})
	cmd := newServeCmd(env)
	var fl serveFlags
	for flag, to := range map[string]*string{"listen": &fl.listen, "public-url": &fl.publicURL, "min-body-rate": &fl.minBodyRate, "write-timeout": &fl.writeTimeout, "header-timeout": &fl.headerTimeout, "idle-timeout": &fl.idleTimeout, "max-upload": &fl.maxUpload} {
		*to = cmd.Flags().Lookup(flag).Value.String()
	}
	c, err := fl.config()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	o := c.HTTP
	if o.PublicURL != "https://pypi.example.com" || o.BodyMinBytes != 64<<10 || o.BodyWindow != 10*time.Second || o.WriteTimeout != 90*time.Second || o.HeaderTimeout != 20*time.Second || o.IdleTimeout != 2*time.Minute {
		t.Errorf("options from the environment: %+v", o)
	}
	for _, tc := range []struct {
		set  func(*serveFlags)
		want string
	}{
		{func(f *serveFlags) { f.minBodyRate = "fast" }, "--min-body-rate"},
		{func(f *serveFlags) { f.minBodyRate = "0/10s" }, "--min-body-rate"},
		{func(f *serveFlags) { f.minBodyRate = "1KiB/0s" }, "--min-body-rate"},
		{func(f *serveFlags) { f.writeTimeout = "-1s" }, "--write-timeout"},
		{func(f *serveFlags) { f.headerTimeout = "soon" }, "--header-timeout"},
		{func(f *serveFlags) { f.publicURL = "pypi.example.com" }, "--public-url"},
		{func(f *serveFlags) { f.publicURL = "https://pypi.example.com/?x=1" }, "--public-url"},
		{func(f *serveFlags) { f.publicURL, f.baseURL = "", "ftp://x" }, "--base-url"},
	} {
		bad := fl
		tc.set(&bad)
		if _, err := bad.config(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %s", bad, err, tc.want)
		}
	}
	for _, name := range []string{"public-url", "min-body-rate", "write-timeout", "header-timeout", "idle-timeout"} {
		if _, ok := cmd.GetFlagCompletionFunc(name); !ok {
			t.Errorf("--%s has no completion", name)
		}
	}
}

// TestServePrintsAbsoluteData: a relative --data is reported as the absolute folder.
func TestServePrintsAbsoluteData(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, _, serr := testEnv(map[string]string{"PYDEPOT_DATA": "rel-data", "PYDEPOT_LISTEN": "127.0.0.1:0"})
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"serve"}, env) }()
	want := "data=" + dir + "/rel-data"
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !strings.Contains(serr.String(), "url="); time.Sleep(50 * time.Millisecond) {
	}
	cancel()
	<-done
	if !strings.Contains(serr.String(), want) {
		t.Fatalf("log does not name the absolute data folder (%s):\n%s", want, serr.String())
	}
}

// TestServeStopsWithSlowUpload: a stop while a client trickles an upload waited 15 s and
// then failed ("shutdown: context deadline exceeded", exit 1). The upload is cut after
// the grace period and serve exits 0, saying so.
func TestServeStopsWithSlowUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 15 s shutdown grace period")
	}
	const admin = "slow-upload-admin-token-0123"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, _, serr := testEnv(map[string]string{"PYDEPOT_DATA": t.TempDir(), "PYDEPOT_LISTEN": "127.0.0.1:0", "PYDEPOT_ADMIN_TOKEN": admin})
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"serve"}, env) }()
	urlRE := regexp.MustCompile(`url=http://(127\.0\.0\.1:\d+)/`)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && addr == ""; time.Sleep(50 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(serr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("server did not start: %s", serr.String())
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	auth := base64.StdEncoding.EncodeToString([]byte("__token__:" + admin))
	fmt.Fprintf(conn, "POST /legacy/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n", auth)
	time.Sleep(500 * time.Millisecond) // the handler is now reading the body
	start := time.Now()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d after a stop: %s", code, serr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(serr.String(), "were cut") {
		t.Errorf("the cut request is not reported: %s", serr.String())
	}
	t.Logf("stopped in %v", time.Since(start))
}
