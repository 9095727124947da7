//go:build pydepot_testkinds

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"time"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/tasks"
)

// registerTestTaskKinds registers the kind "test.block", which exists only in binaries
// built with -tags pydepot_testkinds (the tests that run `pydepot serve` as a process
// build one): it waits until the file its args name exists, then completes with the
// attempt that saw it; with "fail" it fails with that message instead; with "steps" N it
// completes after N steps of 100 ms, counting them as items (and 1 kB each as bytes)
// out of known totals. It lets a test hold a task running while it kills the server.
func registerTestTaskKinds(q tasks.Queue) {
	q.Register("test.block", func(ctx context.Context, run tasks.Run) (any, error) {
		var args struct {
			UntilFile string `json:"until_file"`
			Fail      string `json:"fail"`
			Steps     int64  `json:"steps"`
		}
		if err := json.Unmarshal(run.Args(), &args); err != nil {
			return nil, err
		}
		if args.Fail != "" {
			return nil, errors.New(args.Fail)
		}
		if args.Steps == 0 {
			run.Logf("waiting for %s", args.UntilFile)
		}
		for i := int64(1); ; i++ {
			if args.Steps > 0 && i > args.Steps {
				return map[string]any{"steps": args.Steps}, nil
			}
			if _, err := os.Stat(args.UntilFile); args.Steps == 0 && err == nil {
				run.Logf("found it")
				return map[string]any{"found": args.UntilFile}, nil
			}
			p := tasks.Progress{DoneItems: i}
			if args.Steps > 0 {
				p = tasks.Progress{DoneItems: i, TotalItems: args.Steps, DoneBytes: i * 1000, TotalBytes: args.Steps * 1000}
				if i%10 == 0 {
					run.Logf("step %d of %d", i, args.Steps)
				}
			}
			run.SetProgress(p)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// testCheckRunner, in binaries built with -tags pydepot_testkinds and with
// PYDEPOT_TEST_CHECK_UNTIL naming a file, replaces the check pipeline: each check counts
// steps of 100 ms until that file exists, then reports install and import passed (a
// pass). It lets a test hold a check running while it kills the server.
func testCheckRunner(env Env, r checkreport.Runner) checkreport.Runner {
	if f := env.Getenv("PYDEPOT_TEST_CHECK_UNTIL"); f != "" {
		return untilFileRunner(f)
	}
	return r
}

type untilFileRunner string

func (u untilFileRunner) Check(ctx context.Context, in checkreport.Input) (*checkreport.Report, error) {
	in.Logf("waiting for %s", string(u))
	for i := 1; ; i++ {
		if _, err := os.Stat(string(u)); err == nil {
			in.Logf("found it")
			return &checkreport.Report{Tasks: []checkreport.Task{
				{Name: checkreport.StepInstall, Status: checkreport.Passed},
				{Name: checkreport.StepImport, Status: checkreport.Passed},
			}}, nil
		}
		in.Progress(i, 0)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
