package cli

import (
	"log/slog"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/tasks"
)

// registerTaskKinds registers the handler of every task kind serve runs, before the
// queue starts: one line per kind.
func registerTaskKinds(q tasks.Queue, svc *index.Service, log *slog.Logger) {
	registerTestTaskKinds(q)
}
