package cli

import (
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/tasks"
)

// registerTaskKinds registers the handler of every task kind serve runs, before the
// queue starts: one line per kind.
func registerTaskKinds(q tasks.Queue, remotes *mirror.Mirror) {
	remotes.Register(q) // "sync"; StartSync now enqueues
	registerTestTaskKinds(q)
}
