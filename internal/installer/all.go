package installer

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// Job is one wheel for InstallAll.
type Job struct {
	Wheel   string
	Options Options
}

// InstallAll installs the wheels concurrently, at most parallel at a time (parallel <= 0
// means the number of CPUs), into one scheme. Results are in the order of jobs. The first
// error cancels the installs not yet started and is returned, naming the wheel; wheels
// already installed stay installed. Two wheels that hold the same file race for it (the
// last rename wins), as in pip, which overwrites too.
func InstallAll(ctx context.Context, jobs []Job, scheme Scheme, parallel int) ([]*Result, error) {
	if parallel <= 0 {
		parallel = runtime.NumCPU()
	}
	results := make([]*Result, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for i, j := range jobs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			r, err := Install(gctx, j.Wheel, scheme, j.Options)
			if err != nil {
				return fmt.Errorf("installing %s: %w", filepath.Base(j.Wheel), err)
			}
			results[i] = r
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}
