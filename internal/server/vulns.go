package server

import (
	"context"
	"fmt"

	"github.com/pydepot/pydepot/internal/osv"
)

// VulnMatcher gives the vulnerabilities known for a project version (osv.Service):
// the `vulnerabilities` of the PyPI JSON API.
type VulnMatcher interface {
	Match(ctx context.Context, project, version string) ([]osv.Vulnerability, error)
}

// vulnerabilities lists, in the JSON API's shape, the records affecting version of
// project (normalized); an empty list (never null, as on PyPI) when no database is
// configured or the project has no version.
func (s *server) vulnerabilities(ctx context.Context, project, version string) ([]osv.JSON, error) {
	if s.cfg.Vulns == nil || version == "" {
		return []osv.JSON{}, nil
	}
	vs, err := s.cfg.Vulns.Match(ctx, project, version)
	if err != nil {
		return nil, fmt.Errorf("vulnerabilities of %s %s: %w", project, version, err)
	}
	return osv.ToJSON(vs), nil
}
