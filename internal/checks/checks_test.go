package checks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/tasks"
)

// TestCheckTask: a check runs as a "check" task on the real queue; the runner reads the
// file's own bytes through the index, works in a folder removed afterwards, and its
// report is stored with the verdict Decide gives (not the runner's), its raw data as a
// blob, and the task's progress, log and result.
func TestCheckTask(t *testing.T) {
	ctx := context.Background()
	runner := &fakeRunner{}
	e := newEnv(t, runner, tasks.Config{})
	fn, data := upload(t, e.svc, "main", "alpha", "1.0")
	id, err := e.ch.Queue(ctx, checks.Args{Repository: "main", Filename: fn, Python: "3.11"})
	if err != nil {
		t.Fatal(err)
	}
	task := waitDone(t, e.queue, id)
	if task.State != tasks.Completed || task.Kind != checks.TaskKind {
		t.Fatalf("task %+v", task)
	}
	var res checks.Result
	if err := json.Unmarshal(task.Result, &res); err != nil || res.Verdict != checkreport.Pass || res.Report == 0 {
		t.Fatalf("result %s: %v", task.Result, err)
	}
	if task.Progress.DoneItems != 9 || task.Progress.TotalItems != 9 || !strings.Contains(strings.Join(task.Log, "\n"), "fake pipeline on") {
		t.Errorf("progress %+v, log %q", task.Progress, task.Log)
	}
	if !bytes.Equal(runner.seen[fn], data) {
		t.Errorf("the runner read %d bytes, the file has %d", len(runner.seen[fn]), len(data))
	}
	if _, err := os.Stat(runner.dirs[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the check's folder is left: %v", err)
	}
	rep, err := e.ch.Report(ctx, "main", fn)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != checkreport.Pass || rep.File != fn || rep.Repository != "main" || rep.Python != "3.11" || rep.Tests.Passed != 3 || len(rep.Tasks) != 3 {
		t.Errorf("report %+v", rep)
	}
	st, err := e.ch.Stored(ctx, res.Report)
	if err != nil || st.TaskID != id || st.Attempt != 1 || st.Filename != fn || st.Project != "alpha" {
		t.Fatalf("stored %+v, %v", st, err)
	}
	body, raw, err := e.ch.OpenRaw(ctx, res.Report, "install.trace")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(body)
	body.Close()
	if string(got) != "connect(3, ...) = 0\n" || raw.Size != int64(len(got)) || raw.Task != checkreport.StepInstall {
		t.Errorf("raw %q, %+v", got, raw)
	}
	if _, _, err := e.ch.OpenRaw(ctx, res.Report, "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown raw data: %v", err)
	}
	// The raw blob is referenced: gc keeps it.
	if used, err := e.svc.Store().BlobReferenced(ctx, raw.SHA256); !used || err != nil {
		t.Errorf("raw blob referenced = %v, %v", used, err)
	}

	// A second check with a high finding: fail, whatever the runner says, and the latest.
	runner.report = func(checkreport.Input) (*checkreport.Report, error) { return failing(), nil }
	id2, _ := e.ch.Queue(ctx, checks.Args{Repository: "main", Filename: fn})
	if task := waitDone(t, e.queue, id2); task.State != tasks.Completed {
		t.Fatalf("second check %+v", task)
	}
	if rep, err := e.ch.Report(ctx, "main", fn); err != nil || rep.Verdict != checkreport.Fail {
		t.Errorf("latest report %+v, %v", rep, err)
	}
	list, err := e.ch.Reports(ctx, "main", fn, 0, 0)
	if err != nil || len(list) != 2 || list[0].Verdict != checkreport.Fail || list[1].Verdict != checkreport.Pass || list[0].TaskID != id2 {
		t.Errorf("reports %+v, %v", list, err)
	}
	if older, _ := e.ch.Reports(ctx, "main", "", 0, list[0].ID); len(older) != 1 || older[0].ID != list[1].ID {
		t.Errorf("reports before %d: %+v", list[0].ID, older)
	}
}

// TestCheckRefusals: a check of a file the repository does not hold is refused before a
// task is made; a runner's error fails the task and stores no report.
func TestCheckRefusals(t *testing.T) {
	ctx := context.Background()
	runner := &fakeRunner{report: func(checkreport.Input) (*checkreport.Report, error) { return nil, errors.New("the pipeline broke") }}
	e := newEnv(t, runner, tasks.Config{})
	fn, _ := upload(t, e.svc, "main", "alpha", "1.0")
	for _, a := range []checks.Args{{Repository: "main", Filename: "missing-1.0-py3-none-any.whl"}, {Repository: "nope", Filename: fn}, {Repository: "main"}} {
		if _, err := e.ch.Queue(ctx, a); !errors.Is(err, errs.ErrNotFound) && !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("Queue(%+v) = %v", a, err)
		}
	}
	id, err := e.ch.Queue(ctx, checks.Args{Repository: "main", Filename: fn})
	if err != nil {
		t.Fatal(err)
	}
	task := waitDone(t, e.queue, id)
	if task.State != tasks.Failed || !strings.Contains(task.Error, "the pipeline broke") {
		t.Errorf("task %+v", task)
	}
	if _, err := e.ch.Report(ctx, "main", fn); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("report after a failed check: %v", err)
	}
}

// TestCheckOnUpload: a repository with check-on-upload queues one check per file
// uploaded (not for a re-upload of the same file); one without queues none.
func TestCheckOnUpload(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, &fakeRunner{}, tasks.Config{})
	upload(t, e.svc, "main", "before", "1.0")
	r, err := e.svc.SetCheckOnUpload(ctx, "main", true)
	if err != nil || !r.CheckOnUpload {
		t.Fatalf("SetCheckOnUpload = %+v, %v", r, err)
	}
	if r, _ := e.svc.Repository(ctx, "main"); !r.CheckOnUpload {
		t.Fatal("the setting is not stored")
	}
	fn, data := upload(t, e.svc, "main", "after", "1.0")
	// The same bytes again: nothing new, no check.
	if _, existed, err := e.svc.Upload(ctx, uploadOf("main", fn, data)); err != nil || !existed {
		t.Fatalf("re-upload: %v, %v", existed, err)
	}
	list, err := e.queue.List(ctx, tasks.ListOptions{Kind: checks.TaskKind})
	if err != nil || len(list) != 1 {
		t.Fatalf("check tasks %+v, %v", list, err)
	}
	var a checks.Args
	if err := json.Unmarshal(list[0].Args, &a); err != nil || a.Filename != fn || a.Repository != "main" {
		t.Fatalf("args %s", list[0].Args)
	}
	if task := waitDone(t, e.queue, list[0].ID); task.State != tasks.Completed {
		t.Fatalf("task %+v", task)
	}
	if rep, err := e.ch.Report(ctx, "main", fn); err != nil || rep.Verdict != checkreport.Pass {
		t.Errorf("report %+v, %v", rep, err)
	}
	if _, err := e.svc.SetCheckOnUpload(ctx, "nope", true); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown repository: %v", err)
	}
}
