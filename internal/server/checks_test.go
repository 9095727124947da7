package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server/wire"
	"github.com/pydepot/pydepot/internal/tasks"
)

// verdictRunner is a Runner written for the tests: the report it gives makes the
// verdict verdicts[filename] (pass by default), with one raw trace.
type verdictRunner struct{ fail map[string]bool }

func (v *verdictRunner) Check(ctx context.Context, in checkreport.Input) (*checkreport.Report, error) {
	if err := os.WriteFile(filepath.Join(in.Dir, "t"), []byte("<script>alert(1)</script>"), 0o644); err != nil {
		return nil, err
	}
	r := &checkreport.Report{Tasks: []checkreport.Task{{Name: checkreport.StepInstall, Status: checkreport.Passed}, {Name: checkreport.StepImport, Status: checkreport.Passed}},
		Raw: []checkreport.Raw{{Task: checkreport.StepInstall, Name: "install.trace", Path: "t"}}}
	if v.fail[in.Filename] {
		r.Findings = []checkreport.Finding{{Task: checkreport.StepInstall, Kind: checkreport.Exec, Severity: checkreport.High, Detail: "/bin/sh"}}
	}
	return r, nil
}

type checksEnv struct {
	*testEnv
	q *tasks.RiverQueue
}

func newChecksEnv(t *testing.T, runner checkreport.Runner) *checksEnv {
	t.Helper()
	ctx := context.Background()
	data, spool := t.TempDir(), t.TempDir()
	svc, closeFn, err := backends.OpenDir(ctx, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	dbURL, _ := backends.DataURLs(data)
	q, closeQ, err := backends.OpenQueue(ctx, dbURL, tasks.Config{Workers: 1, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeQ() })
	ch := checks.New(svc, q, runner, checks.Options{TempDir: spool})
	ch.Register(q)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	return &checksEnv{newEnvOn(t, Config{Tasks: q, Checks: ch}, svc, data, spool), q}
}

func (e *checksEnv) jsonCall(method, path, token string, in, out any, want int) {
	e.t.Helper()
	var body *strings.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = strings.NewReader(string(b))
	} else {
		body = strings.NewReader("")
	}
	hdr := []string{"Content-Type: application/json"}
	if token != "" {
		hdr = append(hdr, basic(token))
	}
	resp := e.request(method, path, body, hdr...)
	text := readBody(e.t, resp)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, text, want)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(text), out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, text)
		}
	}
}

func (e *checksEnv) check(filename string) int64 {
	e.t.Helper()
	var st wire.CheckStarted
	e.jsonCall(http.MethodPost, "/api/checks", adminSecret, wire.CheckRequest{Repository: "main", Filename: filename}, &st, http.StatusAccepted)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		task, err := e.q.Get(context.Background(), st.Task)
		if err != nil {
			e.t.Fatal(err)
		}
		if task.State.Done() {
			if task.State != tasks.Completed {
				e.t.Fatalf("check task %+v", task)
			}
			var res checks.Result
			json.Unmarshal(task.Result, &res)
			return res.Report
		}
		if time.Now().After(deadline) {
			e.t.Fatal("check task still running")
		}
	}
}

// TestChecksAPI: POST /api/checks runs a check as a task (admin on the repository);
// the reports are listed and served with their raw data to tokens that may read the
// repository, 401 without a token, 404 to a token of another repository.
func TestChecksAPI(t *testing.T) {
	ctx := context.Background()
	e := newChecksEnv(t, &verdictRunner{})
	fn := wheelName("alpha", "1.0")
	e.mustUpload(fn, makeWheel(t, "alpha", "1.0", wheelOpts{}))
	if _, err := e.svc.CreateRepository(ctx, "other", ""); err != nil {
		t.Fatal(err)
	}
	reader, _, _ := e.svc.CreateToken(ctx, "reader", index.ScopeRead, "main")
	stranger, _, _ := e.svc.CreateToken(ctx, "stranger", index.ScopeAdmin, "other")
	e.jsonCall(http.MethodPost, "/api/checks", "", wire.CheckRequest{Repository: "main", Filename: fn}, nil, http.StatusUnauthorized)
	e.jsonCall(http.MethodPost, "/api/checks", reader, wire.CheckRequest{Repository: "main", Filename: fn}, nil, http.StatusForbidden)
	e.jsonCall(http.MethodPost, "/api/checks", adminSecret, wire.CheckRequest{Repository: "main", Filename: "nope-1.0-py3-none-any.whl"}, nil, http.StatusNotFound)
	id := e.check(fn)

	var list wire.CheckList
	e.jsonCall(http.MethodGet, "/api/checks?repository=main&filename="+fn, reader, nil, &list, http.StatusOK)
	if len(list.Checks) != 1 || list.Checks[0].ID != id || list.Checks[0].Verdict != "pass" || list.Checks[0].Filename != fn {
		t.Fatalf("list %+v", list)
	}
	e.jsonCall(http.MethodGet, "/api/checks?repository=main", "", nil, nil, http.StatusUnauthorized)
	e.jsonCall(http.MethodGet, "/api/checks?repository=main", stranger, nil, nil, http.StatusForbidden)
	e.jsonCall(http.MethodGet, "/api/checks?repository=main&limit=x", reader, nil, nil, http.StatusBadRequest)

	var rep wire.CheckReport
	path := fmt.Sprintf("/api/checks/%d", id)
	e.jsonCall(http.MethodGet, path, reader, nil, &rep, http.StatusOK)
	var body struct {
		File     string `json:"file"`
		Verdict  string `json:"verdict"`
		Tasks    []map[string]any
		Findings []map[string]any
		Tests    map[string]int
	}
	if err := json.Unmarshal(rep.Report, &body); err != nil || body.File != fn || body.Verdict != "pass" || len(body.Tasks) != 2 || body.Findings == nil || body.Tests == nil {
		t.Errorf("report %s: %v", rep.Report, err)
	}
	if len(rep.Raw) != 1 || rep.Raw[0].URL != path+"/raw/install.trace" {
		t.Fatalf("raw %+v", rep.Raw)
	}
	e.jsonCall(http.MethodGet, path, "", nil, nil, http.StatusUnauthorized)
	e.jsonCall(http.MethodGet, path, stranger, nil, nil, http.StatusNotFound)
	e.jsonCall(http.MethodGet, "/api/checks/999", reader, nil, nil, http.StatusNotFound)

	resp := e.request(http.MethodGet, rep.Raw[0].URL, nil, basic(reader))
	got := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || got != "<script>alert(1)</script>" || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("raw: %d %q %v", resp.StatusCode, got, resp.Header)
	}
	if resp := e.request(http.MethodGet, rep.Raw[0].URL, nil, basic(stranger)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("raw to a stranger: %d", resp.StatusCode)
	}
	if resp := e.request(http.MethodGet, path+"/raw/other", nil, basic(reader)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown raw: %d", resp.StatusCode)
	}
}

// TestChecksSettingsAndQuarantine: PATCH /api/repositories/{name} turns check-on-upload
// on, after which an upload queues a check; a distribution updated with require_checks
// serves (simple HTML and JSON, PyPI JSON, downloads) only the files whose check passed,
// and a page seen before a check ends shows the file after it (no stale cached page).
func TestChecksSettingsAndQuarantine(t *testing.T) {
	ctx := context.Background()
	runner := &verdictRunner{fail: map[string]bool{}}
	e := newChecksEnv(t, runner)
	good, bad, later := wheelName("alpha", "1.0"), wheelName("alpha", "2.0"), wheelName("alpha", "3.0")
	e.mustUpload(bad, makeWheel(t, "alpha", "2.0", wheelOpts{}))
	e.mustUpload(good, makeWheel(t, "alpha", "1.0", wheelOpts{}))
	runner.fail[bad] = true

	var d wire.Distribution
	e.jsonCall(http.MethodPost, "/api/distributions", adminSecret, wire.Distribution{BasePath: "strict", Repository: "main", Public: true}, &d, http.StatusCreated)
	e.jsonCall(http.MethodPatch, "/api/distributions/strict", adminSecret, map[string]any{"require_checks": true}, &d, http.StatusOK)
	if !d.RequireChecks {
		t.Fatalf("distribution %+v", d)
	}
	page := func(path string) string {
		t.Helper()
		resp := e.request(http.MethodGet, path, nil)
		return fmt.Sprint(resp.StatusCode) + " " + readBody(t, resp)
	}
	// Seen before the checks: nothing served. A check moves no repository version, so
	// a page cached by version would stay like this.
	for range 2 {
		if before := page("/strict/simple/alpha/"); strings.Contains(before, good) || strings.Contains(before, bad) || !strings.HasPrefix(before, "200") {
			t.Errorf("before any check: %s", before)
		}
	}
	e.check(good)
	e.check(bad)
	for _, path := range []string{"/strict/simple/alpha/", "/strict/simple/alpha/?format=application/vnd.pypi.simple.v1+json", "/strict/pypi/alpha/json"} {
		got := page(path)
		if !strings.Contains(got, good) || strings.Contains(got, bad) {
			t.Errorf("%s: %s", path, got)
		}
	}
	if got := page("/simple/alpha/"); !strings.Contains(got, good) || !strings.Contains(got, bad) {
		t.Errorf("main serves %s", got)
	}
	f, err := e.svc.File(ctx, &index.Distribution{Repository: "main"}, bad)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		base string
		want int
	}{{"/strict", http.StatusNotFound}, {"", http.StatusOK}} {
		resp := e.request(http.MethodGet, tc.base+"/files/"+f.SHA256+"/"+bad, nil)
		readBody(t, resp)
		if resp.StatusCode != tc.want {
			t.Errorf("download of %s from %q: %d, want %d", bad, tc.base, resp.StatusCode, tc.want)
		}
	}

	// Check on upload: the setting is kept, and the next upload queues its check.
	var repo wire.Repository
	e.jsonCall(http.MethodPatch, "/api/repositories/main", "", map[string]any{"check_on_upload": true}, nil, http.StatusUnauthorized)
	e.jsonCall(http.MethodPatch, "/api/repositories/main", adminSecret, map[string]any{"check_on_upload": true}, &repo, http.StatusOK)
	e.jsonCall(http.MethodGet, "/api/repositories/main", adminSecret, nil, &repo, http.StatusOK)
	if !repo.CheckOnUpload {
		t.Fatalf("the setting is not kept: %+v", repo)
	}
	e.mustUpload(later, makeWheel(t, "alpha", "3.0", wheelOpts{}))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var list wire.CheckList
		e.jsonCall(http.MethodGet, "/api/checks?repository=main&filename="+later, adminSecret, nil, &list, http.StatusOK)
		if len(list.Checks) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no check was queued by the upload")
		}
	}
	if got := page("/strict/simple/alpha/"); !strings.Contains(got, later) {
		t.Errorf("after its check on upload: %s", got)
	}
}
