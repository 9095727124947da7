package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/index"
)

// mergedView is what a request of a merged view needs beyond a plain one's: its sources
// pinned at the versions the routing snapshot gives them, that combination named as the
// page cache's stamp (a page rendered for it is valid while no source moves), and whether
// a source pulls through from a remote.
type mergedView struct {
	stamp   string
	sources []index.Source
	pull    bool
}

// cacheRepo names what the request's version serves for the page cache: the repository,
// or a merged view's stamp.
func (dr *distRequest) cacheRepo() string {
	if dr.merged != nil {
		return dr.merged.stamp
	}
	return dr.d.Repository
}

// mergedRequest pins every source of a merged view at the version the snapshot gives it.
func mergedRequest(dr *distRequest, sn *snapshot) {
	var b strings.Builder
	m := &mergedView{sources: make([]index.Source, len(dr.d.Sources))}
	for i, src := range dr.d.Sources {
		v := sn.latest[src.Repository]
		if src.Pinned != nil {
			v = *src.Pinned
		}
		src.Pinned = &v
		m.sources[i] = src
		m.pull = m.pull || src.PullThrough != ""
		b.WriteString(src.Repository)
		b.WriteByte('@')
		b.WriteString(strconv.Itoa(v))
		b.WriteByte(' ')
	}
	m.stamp = b.String()
	dr.merged = m
}

// freshen refreshes a pull-through distribution's project from its upstream when its TTL
// has passed, before the page is read, and pins the request at the versions that made.
func (s *server) freshen(r *http.Request, dr *distRequest, project string) error {
	if dr.merged == nil || !dr.merged.pull {
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
