package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/errs"
)

// checkRunner is the pipeline that serve's checks run (checks.New takes it): the one
// place to wire internal/checkrun's Pipeline in (checkrun.New(cfg) from c and log).
func checkRunner(c serveConfig, log *slog.Logger) checkreport.Runner {
	_, _ = c, log
	return noPipeline{}
}

// noPipeline fails every check, saying why: a build without the check pipeline.
type noPipeline struct{}

func (noPipeline) Check(ctx context.Context, in checkreport.Input) (*checkreport.Report, error) {
	return nil, fmt.Errorf("check of %s: this server has no check pipeline (internal/checkrun is not wired into serve): %w", in.Filename, errs.ErrInvalid)
}
