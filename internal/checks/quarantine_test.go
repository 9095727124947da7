package checks_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/tasks"
)

// TestQuarantine: a distribution with require-checks serves (pages, file lookups,
// downloads) only files whose latest verdict is pass: not a file never checked, nor one
// whose latest check failed (though an earlier one passed). A distribution of the same
// repository without the setting serves everything; so does a merged view's source.
func TestQuarantine(t *testing.T) {
	ctx := context.Background()
	verdicts := map[string]*checkreport.Report{}
	runner := &fakeRunner{report: func(in checkreport.Input) (*checkreport.Report, error) { return verdicts[in.Filename], nil }}
	e := newEnv(t, runner, tasks.Config{})
	good, _ := upload(t, e.svc, "main", "alpha", "1.0")
	bad, _ := upload(t, e.svc, "main", "alpha", "2.0")
	never, _ := upload(t, e.svc, "main", "alpha", "3.0")
	verdicts[good], verdicts[bad] = passing(), failing()
	check := func(fn string) {
		t.Helper()
		id, err := e.ch.Queue(ctx, checks.Args{Repository: "main", Filename: fn})
		if err != nil {
			t.Fatal(err)
		}
		if task := waitDone(t, e.queue, id); task.State != tasks.Completed {
			t.Fatalf("check of %s: %+v", fn, task)
		}
	}
	check(good)
	check(bad)
	strict, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "strict", Repository: "main", Public: true, RequireChecks: true})
	if err != nil || !strict.RequireChecks {
		t.Fatalf("create: %+v, %v", strict, err)
	}
	merged, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "merged", Public: true, RequireChecks: true,
		Sources: []index.Source{{Repository: "main"}}})
	if err != nil {
		t.Fatal(err)
	}
	served := func(d *index.Distribution) []string {
		t.Helper()
		p, err := e.svc.Project(ctx, d, "alpha")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range p.Files {
			out = append(out, f.Filename)
		}
		return out
	}
	for _, d := range []*index.Distribution{strict, merged} {
		if got := served(d); !slices.Equal(got, []string{good}) {
			t.Errorf("%s serves %v, want only %s", d.BasePath, got, good)
		}
		for _, fn := range []string{bad, never} {
			_, err := e.svc.OpenFile(ctx, d, fn, 0)
			if !errors.Is(err, errs.ErrNotFound) || !strings.Contains(err.Error(), "quarantined") {
				t.Errorf("%s: OpenFile(%s) = %v", d.BasePath, fn, err)
			}
			if _, err := e.svc.OpenFile(ctx, d, fn+".metadata", 0); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("%s: metadata of %s: %v", d.BasePath, fn, err)
			}
		}
		of, err := e.svc.OpenFile(ctx, d, good, 0)
		if err != nil {
			t.Fatalf("%s: OpenFile(%s) = %v", d.BasePath, good, err)
		}
		of.Body.Close()
	}
	if ok, err := e.ch.Allowed(ctx, "strict", good); !ok || err != nil {
		t.Errorf("Allowed(good) = %v, %v", ok, err)
	}
	if ok, err := e.ch.Allowed(ctx, "strict", never); ok || err != nil {
		t.Errorf("Allowed(never) = %v, %v", ok, err)
	}
	if ok, err := e.ch.Allowed(ctx, "main", never); !ok || err != nil {
		t.Errorf("Allowed on main = %v, %v", ok, err)
	}
	main, _ := e.svc.Distribution(ctx, "main")
	if got := served(main); len(got) != 3 {
		t.Errorf("main serves %v", got)
	}
	// The latest verdict counts: good fails its next check and is quarantined.
	verdicts[good] = failing()
	check(good)
	if got := served(strict); len(got) != 0 {
		t.Errorf("after a failed recheck strict serves %v", got)
	}
	// Turning the setting off serves everything again; the setting survives an update.
	off, err := e.svc.UpdateDistribution(ctx, "strict", index.Distribution{Repository: "main", Public: true})
	if err != nil || off.RequireChecks {
		t.Fatalf("update: %+v, %v", off, err)
	}
	if d, _ := e.svc.Distribution(ctx, "strict"); len(served(d)) != 3 {
		t.Errorf("without require-checks: %v", served(d))
	}
}
