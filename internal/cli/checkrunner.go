package cli

import (
	"log/slog"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/checkrun"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/osv"
)

// checkRunner is the pipeline that serve's checks run: internal/checkrun wired with the
// sandbox, strace, the trace report, scan and lint (checkrun.Wire), the wheelhouse read
// from the index in process (checks.Source) and the local OSV database (vulns).
func checkRunner(svc *index.Service, vulns *osv.Service, log *slog.Logger) checkreport.Runner {
	return checkrun.New(checkrun.Wire(checkrun.Config{
		Source: checks.Source(svc),
		Vulns:  vulns.FileFindings,
		Logger: log,
	}))
}
