package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// diff answers GET /api/repositories/{name}/diff?from=A&to=B.
func (s *server) diff(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.authorize(r, index.ActionRead, name); err != nil {
		return err
	}
	var n [2]int
	for i, p := range []string{"from", "to"} {
		v, err := strconv.Atoi(r.URL.Query().Get(p))
		if err != nil || v < 0 {
			return fmt.Errorf("query parameter %s=%q: want a repository version number: %w", p, r.URL.Query().Get(p), errs.ErrInvalid)
		}
		n[i] = v
	}
	d, err := s.api.Diff(r.Context(), name, n[0], n[1])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireDiff(d))
}

// retain answers POST /api/repositories/{name}/retain.
func (s *server) retain(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.authorize(r, index.ActionRetain, name); err != nil {
		return err
	}
	var in wire.Retain
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	rep, err := s.api.Retain(r.Context(), name, index.RetainOptions{Keep: in.Keep, DryRun: in.DryRun})
	if err != nil {
		return err
	}
	s.changed()
	return writeJSON(w, http.StatusOK, wire.RetainReport{Repository: rep.Repository, Latest: rep.Latest, DryRun: rep.DryRun,
		Kept: nonNil(rep.Kept), Pinned: nonNil(rep.Pinned), Removed: nonNil(rep.Removed), Files: rep.Files, FileBytes: rep.FileBytes,
		Examples: nonNil(rep.Examples), Blobs: rep.Blobs, BlobBytes: rep.BlobBytes})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func wireDiff(d *index.VersionDiff) wire.VersionDiff {
	out := wire.VersionDiff{Repository: d.Repository, From: d.From, To: d.To,
		Added: []wire.DiffFile{}, Removed: []wire.DiffFile{}, Yanks: []wire.YankChange{}, Attributes: []wire.AttributeChange{}}
	for _, f := range d.Added {
		out.Added = append(out.Added, wire.DiffFile(f))
	}
	for _, f := range d.Removed {
		out.Removed = append(out.Removed, wire.DiffFile(f))
	}
	for _, y := range d.Yanks {
		out.Yanks = append(out.Yanks, wire.YankChange(y))
	}
	for _, a := range d.Attributes {
		out.Attributes = append(out.Attributes, wire.AttributeChange{Project: a.Project,
			Before: wire.Attributes(a.Before), After: wire.Attributes(a.After)})
	}
	return out
}
