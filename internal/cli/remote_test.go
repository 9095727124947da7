package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRemoteAndSyncCommands drives remote create/show/list/update/delete and sync
// against two real servers: the upstream holds a wheel, the sink syncs it.
func TestRemoteAndSyncCommands(t *testing.T) {
	upstream := startServer(t)
	mustRun(t, upstream, "upload", systemWheel(t, "wheel-0.38.4-py3-none-any.whl"))
	mustRun(t, upstream, "upload", systemWheel(t, "setuptools-66.1.1-py3-none-any.whl"))
	sink := startServer(t)

	out := mustRun(t, sink, "remote", "create", "up", "--url", upstream+"/simple/", "--include", "wheel>=0.30,<1",
		"--username", "__token__", "--password", testAdmin, "--python", "3.11")
	if !strings.Contains(out, "created remote up") {
		t.Errorf("create said %q", out)
	}
	show := mustRun(t, sink, "remote", "show", "up")
	if strings.Contains(show, testAdmin) || !strings.Contains(show, "password:") || !strings.Contains(show, "wheel<1,>=0.30") {
		t.Errorf("remote show:\n%s", show)
	}
	if out := mustRun(t, sink, "remote", "list"); !strings.Contains(out, "up") || !strings.Contains(out, "immediate") {
		t.Errorf("remote list:\n%s", out)
	}

	out = mustRun(t, sink, "sync", "main", "--remote", "up")
	if !strings.Contains(out, "version 1: 1 added") {
		t.Errorf("sync said %q", out)
	}
	if out := mustRun(t, sink, "sync", "main", "--remote", "up"); !strings.Contains(out, "unchanged") || !strings.Contains(out, "0 files downloaded") {
		t.Errorf("second sync said %q", out)
	}

	mustRun(t, sink, "remote", "update", "up", "--include", "setuptools")
	if out := mustRun(t, sink, "sync", "main", "--remote", "up"); !strings.Contains(out, "version 2: 1 added") {
		t.Errorf("sync after update said %q", out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"remote", "create", "bad", "--url", "ftp://x/simple/"}, "http:// or https://"},
		{[]string{"remote", "create", "bad", "--url", upstream + "/simple/", "--policy", "sometimes"}, `policy "sometimes"`},
		{[]string{"remote", "create", "bad", "--url", upstream + "/simple/", "--include", "Django>="}, "--include"},
		{[]string{"remote", "create", "bad", "--url", upstream + "/simple/", "--platform", "amiga_68k"}, "platform"},
		{[]string{"remote", "create", "bad", "--url", upstream + "/simple/", "--with-dependencies"}, "needs --include"},
		{[]string{"remote", "create", "up", "--url", upstream + "/simple/"}, "already exists"},
		{[]string{"sync", "main", "--remote", "nope"}, "nope"},
	} {
		code, _, errb := cliRun(t, sink, testAdmin, tc.args...)
		if code == 0 || !strings.Contains(errb, tc.want) {
			t.Errorf("pydepot %s: exit %d, stderr %q; want a failure naming %q", strings.Join(tc.args, " "), code, errb, tc.want)
		}
	}
	if code, _, errb := cliRun(t, sink, "", "remote", "list"); code == 0 || !strings.Contains(errb, "token") {
		t.Errorf("remote list without a token: exit %d, %q", code, errb)
	}
	// A secret from standard input.
	env, out2, errb := testEnv(map[string]string{"PYDEPOT_URL": sink, "PYDEPOT_TOKEN": testAdmin})
	env.Stdin = strings.NewReader("from-stdin\n")
	if code := Main(t.Context(), []string{"remote", "update", "up", "--token", "-"}, env); code != 0 {
		t.Fatalf("--token -: exit %d: %s %s", code, out2, errb)
	}
	if show := mustRun(t, sink, "remote", "show", "up"); !strings.Contains(show, "token:") || strings.Contains(show, "from-stdin") {
		t.Errorf("after --token -:\n%s", show)
	}
	mustRun(t, sink, "remote", "delete", "up")
	if code, _, _ := cliRun(t, sink, testAdmin, "remote", "show", "up"); code == 0 {
		t.Error("deleted remote still shown")
	}
}

// TestServeSyncRunsAsTask: under `pydepot serve` a sync is a task: the command follows it
// and prints its result, --no-wait only starts it, and a failing sync exits non-zero.
func TestServeSyncRunsAsTask(t *testing.T) {
	upstream := startServer(t)
	mustRun(t, upstream, "upload", systemWheel(t, "wheel-0.38.4-py3-none-any.whl"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	senv, sout, serr := testEnv(map[string]string{"PYDEPOT_DATA": t.TempDir(), "PYDEPOT_LISTEN": "127.0.0.1:0", "PYDEPOT_ADMIN_TOKEN": testAdmin})
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"serve"}, senv) }()
	defer func() { cancel(); <-done }()
	urlRE := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)/`)
	var sink string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && sink == ""; time.Sleep(50 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(serr.String()); m != nil {
			sink = m[1]
		}
	}
	if sink == "" {
		t.Fatalf("server did not start: %s %s", sout.String(), serr.String())
	}
	mustRun(t, sink, "remote", "create", "up", "--url", upstream+"/simple/", "--include", "wheel")
	code, out, errb := cliRun(t, sink, testAdmin, "sync", "main", "--remote", "up")
	if code != 0 || !strings.Contains(out, "version 1: 1 added") || !strings.Contains(errb, "sync task") {
		t.Fatalf("sync: exit %d\nstdout %s\nstderr %s", code, out, errb)
	}
	if out := mustRun(t, sink, "sync", "main", "--remote", "up", "--no-wait"); !regexp.MustCompile(`sync task \d+ started`).MatchString(out) {
		t.Errorf("--no-wait said %q", out)
	}
	mustRun(t, sink, "remote", "update", "up", "--include", "wheel", "--include", "no-such-project")
	if code, _, errb := cliRun(t, sink, testAdmin, "sync", "main", "--remote", "up"); code == 0 || !strings.Contains(errb, "no-such-project") {
		t.Errorf("failing sync: exit %d, stderr %s", code, errb)
	}
}
