package checkrun

import (
	"github.com/pydepot/pydepot/internal/strace"
)

// Wire returns cfg with the steps of the checks filled in where cfg leaves them nil: the
// bubblewrap sandbox (internal/sandbox) with strace in front (internal/strace).
func Wire(cfg Config) Config {
	if cfg.Exec == nil {
		cfg.Exec = SandboxExec
	}
	if cfg.Trace == nil {
		cfg.Trace = strace.Command
	}
	return cfg
}
