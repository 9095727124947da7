package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/index"
)

// mergedRequest pins every source of a merged view at the version the snapshot gives it,
// and names that combination as the page cache's stamp: a page rendered for it is valid
// while no source moves.
func mergedRequest(dr *distRequest, sn *snapshot) {
	var b strings.Builder
	dr.sources = make([]index.Source, len(dr.d.Sources))
	for i, src := range dr.d.Sources {
		v := sn.latest[src.Repository]
		if src.Pinned != nil {
			v = *src.Pinned
		}
		src.Pinned = &v
		dr.sources[i] = src
		dr.pull = dr.pull || src.PullThrough != ""
		b.WriteString(src.Repository)
		b.WriteByte('@')
		b.WriteString(strconv.Itoa(v))
		b.WriteByte(' ')
	}
	dr.stamp = b.String()
}

// freshen refreshes a pull-through distribution's project from its upstream when its TTL
// has passed, before the page is read, and pins the request at the versions that made.
func (s *server) freshen(r *http.Request, dr *distRequest, project string) error {
	if !dr.pull {
		return nil
	}
	refreshed, err := s.api.Freshen(r.Context(), &dr.d, project)
	if refreshed {
		s.changed()
		if sn, serr := s.snapshot(r.Context()); serr == nil {
			mergedRequest(dr, sn)
		}
	}
	return err
}
