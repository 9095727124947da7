//go:build pydepot_testkinds

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"time"

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
