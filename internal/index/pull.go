package index

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pydepot/pydepot/internal/names"
)

// Pull-through (what proxpi does): a source with PullThrough set fetches a project's
// page from its remote the first time the project is asked for, into the source's
// repository (through the sync: the remote's filters and policy apply, the repository's
// blocklist too), and again once its TTL has passed. Between refreshes, and whenever the
// upstream cannot be read, the last page fetched is served: the repository holds it.
// Only when nothing is known of a project does a failing upstream show, as ErrUpstream
// (502). A project an earlier source knows is never asked of the upstream (the guard of
// views.go: an internal name neither leaks to nor is replaced from a public index).

// ErrUpstream is the refusal of a request that needs an upstream which could not be
// read, when nothing is known to serve instead. The HTTP layer answers 502.
var ErrUpstream = errors.New("upstream unavailable")

// ProjectRefresher brings one project of a remote into a repository now: internal/mirror's
// SyncProject. A project the upstream does not have is no error (nothing is added); an
// error means the upstream could not be read.
type ProjectRefresher interface {
	RefreshProject(ctx context.Context, repo, remote, project string) error
}

// RemoteChecker is an optional capability of a ProjectRefresher, found by type
// assertion: CheckRemote returns an error wrapping errs.ErrNotFound when there is no
// remote of that name, so that a pull-through source naming none is refused when made.
type RemoteChecker interface {
	CheckRemote(ctx context.Context, name string) error
}

// SetProjectRefresher makes pull-through sources work. Call it before serving; without
// one a pull-through source serves only what its repository holds.
func (s *Service) SetProjectRefresher(r ProjectRefresher) { s.refresher = r }

// Bounds of pull-through refreshes.
const (
	// RefreshTimeout bounds one project's refresh, however many requests wait for it.
	RefreshTimeout = 2 * time.Minute
	// failedRefreshTTL is how long a failed refresh is trusted before the upstream is
	// asked again (the TTL, when shorter).
	failedRefreshTTL = 30 * time.Second
	// maxPullStates bounds the refresh times kept in memory; past it they are forgotten
	// (the next request of each project refreshes it once more).
	maxPullStates = 100_000
)

type pullKey struct{ repo, remote, project string }

type pullState struct {
	at  time.Time
	err error
}

// pulls remembers when each pulled project was last refreshed, in memory: after a
// restart every project is refreshed once on its first request.
type pulls struct {
	mu sync.Mutex
	m  map[pullKey]pullState
}

func (p *pulls) get(k pullKey) (pullState, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.m[k]
	return st, ok
}

func (p *pulls) put(k pullKey, st pullState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil || len(p.m) >= maxPullStates {
		p.m = map[pullKey]pullState{}
	}
	p.m[k] = st
}

// Freshen implements API: it refreshes project from the remote of each pull-through
// source of d that would serve it (no earlier source knows it, or it may be shadowed),
// when that source's TTL has passed since the last refresh; concurrent callers share one
// refresh. It reports whether a refresh ran (the source's repository may have a new
// version). When a refresh fails and no source knows the project, the error wraps
// ErrUpstream; otherwise the last known page stays served.
func (s *Service) Freshen(ctx context.Context, d *Distribution, project string) (bool, error) {
	if d == nil || d.Sources == nil || s.refresher == nil || !names.Valid(project) {
		return false, nil
	}
	norm := names.Normalize(project)
	allow := slices.Contains(d.AllowShadow, norm)
	refreshed, anyKnown := false, false
	var failed error
	for _, src := range d.Sources {
		if src.PullThrough != "" {
			did, err := s.refresh(ctx, src, norm)
			refreshed = refreshed || did
			if err != nil && failed == nil {
				failed = err
			}
		}
		known, err := s.knows(ctx, src, norm)
		if err != nil {
			return refreshed, err
		}
		if known && !allow {
			return refreshed, nil
		}
		anyKnown = anyKnown || known
	}
	if failed != nil && !anyKnown { // else what is known is served
		return refreshed, failed
	}
	return refreshed, nil
}

// knows reports whether src's repository knows project at the version it serves.
func (s *Service) knows(ctx context.Context, src Source, project string) (bool, error) {
	vs, err := s.resolve(ctx, &Distribution{Sources: []Source{src}})
	if err != nil {
		return false, err
	}
	serial, err := s.store.ProjectSerial(ctx, vs[0].repoID, vs[0].version, project)
	return serial > 0, err
}

// refresh refreshes project into src when its TTL has passed; true when it ran.
func (s *Service) refresh(ctx context.Context, src Source, project string) (bool, error) {
	k := pullKey{src.Repository, src.PullThrough, project}
	ttl := src.TTL
	if ttl <= 0 {
		ttl = DefaultPullTTL
	}
	if st, ok := s.pulls.get(k); ok {
		age := time.Since(st.at)
		if st.err == nil && age < ttl || st.err != nil && age < min(ttl, failedRefreshTTL) {
			return false, st.err
		}
	}
	ch := s.refreshes.DoChan(k.repo+"\x00"+k.remote+"\x00"+k.project, func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), RefreshTimeout)
		defer cancel()
		err := s.refresher.RefreshProject(rctx, src.Repository, src.PullThrough, project)
		if err != nil {
			s.log.Warn("pull-through refresh failed", "repository", src.Repository, "remote", src.PullThrough, "project", project, "err", err)
			err = fmt.Errorf("project %s: remote %s could not be read, and nothing is known of it here: %w", project, src.PullThrough, ErrUpstream)
		}
		s.pulls.put(k, pullState{at: time.Now(), err: err})
		return nil, err
	})
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case r := <-ch:
		return true, r.Err
	}
}
