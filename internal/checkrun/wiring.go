package checkrun

import (
	"context"
	"os"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/lint"
	"github.com/pydepot/pydepot/internal/scan"
	"github.com/pydepot/pydepot/internal/strace"
	"github.com/pydepot/pydepot/internal/tracereport"
)

// Wire returns cfg with the steps of the checks filled in where cfg leaves them nil: the
// bubblewrap sandbox (internal/sandbox) with strace in front (internal/strace), the
// trace report and its decoys (internal/tracereport), the static red flags
// (internal/scan) and the Go-side lint (internal/lint). Vulns needs the store, so the
// caller gives it (osv.Service.FileFindings).
func Wire(cfg Config) Config {
	if cfg.Scan == nil {
		cfg.Scan = scan.Dir
	}
	if cfg.Lint == nil {
		cfg.Lint = lint.Dir
	}
	if cfg.Exec == nil {
		cfg.Exec = SandboxExec
	}
	if cfg.Trace == nil {
		cfg.Trace = strace.Command
	}
	if cfg.TraceFindings == nil {
		cfg.TraceFindings = traceFindings
	}
	if cfg.Decoys == nil {
		cfg.Decoys = tracereport.DefaultDecoys
		cfg.DecoySecrets = func(home string) []string {
			_, secrets := tracereport.DecoyPolicy(home)
			return secrets
		}
	}
	return cfg
}

// traceFindings streams a trace file through tracereport.
func traceFindings(ctx context.Context, task string, p TracePolicy, path string) ([]checkreport.Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return tracereport.FromTrace(ctx, task, tracereport.Policy{Allowed: p.Allowed, Temp: p.Temp, Prefix: p.Prefix,
		Home: p.Home, Dir: p.Dir, Exec: p.Exec, Decoys: p.Decoys, Secrets: p.Secrets}, f)
}
