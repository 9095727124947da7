package cli

import (
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/tasks"
)

// registerTaskKinds registers the handler of every task kind serve runs, before the
// queue starts: one line per kind.
func registerTaskKinds(q tasks.Queue, remotes *mirror.Mirror, checker *checks.Service) {
	remotes.Register(q) // "sync"; StartSync now enqueues
	checker.Register(q) // "check"; uploads to repositories with check-on-upload queue one
	registerTestTaskKinds(q)
}
