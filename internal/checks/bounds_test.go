package checks_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/tasks"
)

// TestReportBounds: a report over its cap loses the step logs, then the findings past
// MaxFindings (a finding says how many), and is stored; raw data over its cap is cut; a
// report still over the cap fails the check, storing nothing.
func TestReportBounds(t *testing.T) {
	ctx := context.Background()
	findings := 3000
	runner := &fakeRunner{report: func(in checkreport.Input) (*checkreport.Report, error) {
		if err := os.WriteFile(filepath.Join(in.Dir, "big"), []byte(strings.Repeat("x", 5000)), 0o644); err != nil {
			return nil, err
		}
		r := passing()
		r.Raw = append(r.Raw, checkreport.Raw{Task: "install", Name: "big", Path: "big", Size: 5000})
		for i := range r.Tasks {
			r.Tasks[i].Log = strings.Repeat("log line\n", 20000)
		}
		for i := range findings {
			r.Findings = append(r.Findings, checkreport.Finding{Task: "scan", Kind: checkreport.Lint, Severity: checkreport.Low, Detail: fmt.Sprintf("finding %d %s", i, strings.Repeat("y", 100))})
		}
		return r, nil
	}}
	e := newEnvWith(t, runner, tasks.Config{}, checks.Options{MaxReportBytes: 200_000, MaxRawBytes: 1000})
	fn, _ := upload(t, e.svc, "main", "alpha", "1.0")
	id, _ := e.ch.Queue(ctx, checks.Args{Repository: "main", Filename: fn})
	task := waitDone(t, e.queue, id)
	if task.State != tasks.Completed {
		t.Fatalf("task %+v", task)
	}
	st, err := e.ch.Latest(ctx, "main", fn)
	if err != nil {
		t.Fatal(err)
	}
	r := st.Report
	if len(r.Findings) != checks.MaxFindings+1 || !strings.Contains(r.Findings[checks.MaxFindings].Detail, "2000 more findings left out") || r.Tasks[0].Log != "" {
		t.Errorf("capped report: %d findings, last %+v, log %d bytes", len(r.Findings), r.Findings[len(r.Findings)-1], len(r.Tasks[0].Log))
	}
	body, raw, err := e.ch.OpenRaw(ctx, st.ID, "big")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(body)
	body.Close()
	if len(data) != 1000 || raw.Size != 1000 || !strings.Contains(strings.Join(task.Log, "\n"), "raw data big cut at 1000 bytes") {
		t.Errorf("raw %d bytes, %+v, log %q", len(data), raw, task.Log)
	}

	// Too many findings even when cut: the check fails, nothing is stored.
	e2 := newEnvWith(t, runner, tasks.Config{}, checks.Options{MaxReportBytes: 20_000})
	fn2, _ := upload(t, e2.svc, "main", "beta", "1.0")
	id2, _ := e2.ch.Queue(ctx, checks.Args{Repository: "main", Filename: fn2})
	if task := waitDone(t, e2.queue, id2); task.State != tasks.Failed || !strings.Contains(task.Error, "over the cap") {
		t.Errorf("over the cap: %+v", task)
	}
	if list, _ := e2.ch.Reports(ctx, "main", fn2, 0, 0); len(list) != 0 {
		t.Errorf("stored %+v", list)
	}
}
