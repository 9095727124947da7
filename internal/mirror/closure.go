package mirror

import (
	"context"
	"fmt"

	"github.com/pydepot/pydepot/internal/requirements"
)

// closure is stubbed until the next commit: the includes only.
func (s *syncer) closure(ctx context.Context) (map[string][]requirements.Requirement, error) {
	return nil, fmt.Errorf("not yet")
}
