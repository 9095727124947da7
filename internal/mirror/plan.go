package mirror

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/requirements"
)

// project reads one project's page and plans it: the files to bring over (returned),
// the yanks to mirror and, with --mirror, the files to remove.
func (s *syncer) project(ctx context.Context, l listed, st metastore.SyncState, reqs []requirements.Requirement) ([]job, error) {
	project := l.Name
	pg, err := s.takePage(ctx, project, st)
	s.mu.Lock()
	s.res.Projects++
	s.mu.Unlock()
	if errors.Is(err, errs.ErrNotFound) {
		if s.req.Mirror {
			return nil, s.removeProject(ctx, project)
		}
		if !s.filter.All() {
			s.fail(project, "", fmt.Errorf("project %s: not on the upstream %s", project, s.remote.URL))
		}
		return nil, nil
	}
	if err != nil {
		if permanentSyncError(err) || errors.Is(err, errs.ErrUnauthorized) || errors.Is(err, errs.ErrForbidden) {
			return nil, err
		}
		s.fail(project, "", err)
		return nil, nil
	}
	state := metastore.SyncState{RemoteID: s.remID, RepositoryID: s.repo.ID, Project: project,
		ETag: pg.ETag, LastModified: pg.LastModified, Serial: pg.Serial, Mirrored: s.req.Mirror || st.Mirrored && pg.NotModified, Config: s.config,
		SyncedAt: s.m.now()}
	if state.Serial == 0 {
		state.Serial = l.Serial // the list's, when the page gives none
	}
	if pg.NotModified {
		// What a 304 does not repeat is what was recorded: the page is the same (its
		// serial was lost before, and the state written again on every re-sync).
		state.ETag = cmp.Or(state.ETag, st.ETag)
		state.LastModified = cmp.Or(state.LastModified, st.LastModified)
		state.Serial = cmp.Or(state.Serial, st.Serial)
		s.mu.Lock()
		s.res.NotModified++
		if !sameState(state, st) {
			s.states.add(state)
		}
		s.mu.Unlock()
		return nil, nil
	}
	sel, skipped := s.filter.selectParsed(project, pg.Files, reqs)
	cur, err := s.heldFiles(ctx, project)
	if err != nil {
		return nil, err
	}
	held := make(map[string]*metastore.File, len(cur))
	for i := range cur {
		held[cur[i].Filename] = &cur[i]
	}
	jobs := make([]job, 0, len(sel))
	var changes []index.Change
	// Yank state belongs to a release in pydepot and to a file upstream: a release is
	// yanked when every one of its upstream files held here is, unyanked when none is,
	// and left alone when the upstream is of two minds.
	type release struct {
		version              string
		yanked, plain, drift int
		reason               string
	}
	releases := map[string]*release{}
	var order []string
	upstream := make(map[string]bool, len(sel))
	reread := false
	for _, c := range sel {
		f := c.file
		upstream[f.Filename] = true
		h := held[f.Filename]
		if h == nil {
			if rule, blocked := s.blocked(project, c.dist); blocked {
				skipped = append(skipped, FileError{Project: project, Filename: f.Filename, Error: "blocked by the repository's rule " + strconv.Quote(rule)})
				reread = true // once unblocked, the next sync must see the file again
				continue
			}
			jobs = append(jobs, job{project: project, file: f, dist: c.dist})
			continue
		}
		if !strings.EqualFold(h.SHA256, f.SHA256()) {
			s.fail(project, f.Filename, fmt.Errorf("the upstream now has other bytes for %s (sha256 %s; stored: %s): %w", f.Filename, f.SHA256(), h.SHA256, errs.ErrConflict))
			continue
		}
		if h.Presence == metastore.PresenceRemote && s.remote.Policy == PolicyImmediate {
			jobs = append(jobs, job{project: project, file: f, dist: c.dist, fill: true})
		}
		r := releases[h.Version]
		if r == nil {
			r = &release{version: h.Version}
			releases[h.Version] = r
			order = append(order, h.Version)
		}
		if f.Yanked {
			r.yanked++
			if r.reason == "" {
				r.reason = f.YankedReason
			}
		} else {
			r.plain++
		}
		if h.Yanked != f.Yanked || (f.Yanked && h.YankReason != f.YankedReason) {
			r.drift++
		}
	}
	for _, v := range order {
		r := releases[v]
		switch {
		case r.drift == 0:
		case r.plain == 0:
			reason := r.reason
			changes = append(changes, index.Change{Kind: index.ChangeYank, Project: project, Version: r.version, Reason: &reason})
		case r.yanked == 0:
			changes = append(changes, index.Change{Kind: index.ChangeUnyank, Project: project, Version: r.version})
		}
	}
	if s.req.Mirror {
		for _, h := range cur {
			if h.OriginRemote == s.remote.Name && !upstream[h.Filename] {
				changes = append(changes, index.Change{Kind: index.ChangeRemove, Filename: h.Filename})
			}
		}
	}
	s.mu.Lock()
	s.skipLocked(skipped...)
	s.others = append(s.others, changes...)
	if !reread {
		s.states.add(state)
	}
	s.mu.Unlock()
	return jobs, nil
}

// blocked reports whether the repository's blocklist (as the batch read it) refuses
// filename, by which rule: such a file is skipped before any byte is fetched (Apply,
// which reads the blocklist in its transaction, would refuse it anyway).
func (s *syncer) blocked(project string, d filenames.Dist) (string, bool) {
	return s.blocklist.Blocks(project, d.Version.String(), d.Filename)
}

// sameState reports whether a project's new state says what its recorded one does
// (SyncedAt aside): a re-sync of an unchanged upstream then rewrites no row (its 2,000
// rows' commit was what set off the checkpoint of the first sync's WAL, a third of the
// re-sync), and SyncedAt stays the time the state last changed.
func sameState(a, b metastore.SyncState) bool {
	return a.ETag == b.ETag && a.LastModified == b.LastModified && a.Serial == b.Serial &&
		a.Mirrored == b.Mirrored && a.Config == b.Config
}
