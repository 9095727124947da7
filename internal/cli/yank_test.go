package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server"
	"github.com/pydepot/pydepot/internal/testserver"
)

// TestYankSaysWhatHappened: yank and unyank report "already yanked" and "not yanked"
// instead of claiming a change, and a yank without --reason keeps the reason.
func TestYankSaysWhatHappened(t *testing.T) {
	ctx := context.Background()
	whl := systemWheel(t, "wheel-0.38.4-py3-none-any.whl")
	srv := testserver.Start(t, testserver.Options{Config: server.Config{StateTTL: -1}, Setup: testserver.UploadFiles("main", whl)})
	svc, admin := srv.Service, srv.Admin
	run := func(args ...string) string {
		t.Helper()
		env, out, errb := testEnv(map[string]string{"PYDEPOT_URL": srv.URL, "PYDEPOT_TOKEN": admin})
		root := NewRoot(env)
		if c, _, _ := root.Find([]string{"unyank"}); c == root {
			root.AddCommand(newUnyankCmd(env))
		}
		root.SetArgs(args)
		if err := root.ExecuteContext(ctx); err != nil {
			t.Fatalf("pydepot %s: %v\n%s", strings.Join(args, " "), err, errb.String())
		}
		return out.String()
	}
	latest := func() int {
		r, err := svc.Repository(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		return r.Latest
	}
	steps := []struct {
		args    []string
		out     string
		changes bool
		reason  string
		yanked  bool
	}{
		{[]string{"yank", "wheel", "0.38.4", "--reason", "bad"}, "yanked wheel 0.38.4 in main (reason: bad)", true, "bad", true},
		{[]string{"yank", "wheel", "0.38.4"}, "wheel 0.38.4 in main is already yanked (reason: bad); nothing changed", false, "bad", true},
		{[]string{"yank", "wheel", "0.38.4", "--reason", "bad"}, "already yanked (reason: bad)", false, "bad", true},
		{[]string{"yank", "wheel", "0.38.4", "--reason", ""}, "yanked wheel 0.38.4 in main: 1 of 1 files changed", true, "", true},
		{[]string{"unyank", "wheel", "0.38.4"}, "unyanked wheel 0.38.4 in main", true, "", false},
		{[]string{"unyank", "wheel", "0.38.4"}, "wheel 0.38.4 in main is not yanked; nothing changed", false, "", false},
	}
	for _, st := range steps {
		before := latest()
		out := run(st.args...)
		if !strings.Contains(out, st.out) {
			t.Errorf("pydepot %s: %q, want %q", strings.Join(st.args, " "), out, st.out)
		}
		if made := latest() - before; made != map[bool]int{true: 1, false: 0}[st.changes] {
			t.Errorf("pydepot %s made %d versions", strings.Join(st.args, " "), made)
		}
		f, err := svc.File(ctx, &index.Distribution{Repository: "main"}, "wheel-0.38.4-py3-none-any.whl")
		if err != nil || f.Yanked != st.yanked || f.YankReason != st.reason {
			t.Errorf("after pydepot %s: %+v, %v", strings.Join(st.args, " "), f, err)
		}
	}
}
