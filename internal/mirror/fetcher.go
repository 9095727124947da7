package mirror

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

var (
	_ index.RemoteFetcher    = (*Mirror)(nil)
	_ index.ProjectRefresher = (*Mirror)(nil)
)

// FetchFile implements index.RemoteFetcher: it downloads the bytes of a file row whose
// Presence is remote from the remote it came from (OriginRemote, at UpstreamURL) into
// a temporary file under Options.TempDir, verified against the row's sha256 and size,
// with the sync's retries. The caller renames or removes the file. ErrNotFound when the
// remote is gone; a wrong hash wraps errs.ErrInvalid and names both digests.
func (m *Mirror) FetchFile(ctx context.Context, f *metastore.File) (string, error) {
	if f.OriginRemote == "" || f.UpstreamURL == "" {
		return "", fmt.Errorf("%s has no remote to fetch it from: %w", f.Filename, errs.ErrNotFound)
	}
	up, err := m.upstreamOf(ctx, f.OriginRemote)
	if err != nil {
		return "", err
	}
	sf := simpleindex.File{Filename: f.Filename, URL: f.UpstreamURL, Hashes: map[string]string{"sha256": strings.ToLower(f.SHA256)}, Size: f.Size}
	if f.Size <= 0 {
		sf.Size = -1
	}
	if err := os.MkdirAll(m.opts.TempDir, 0o700); err != nil {
		return "", fmt.Errorf("fetch temporary directory: %w", err)
	}
	start := time.Now()
	path, n, err := up.fetch(ctx, sf, m.opts.TempDir)
	if err != nil {
		return "", fmt.Errorf("fetching %s from remote %s: %w", f.Filename, f.OriginRemote, err)
	}
	m.log.Info("fetched on demand", "remote", f.OriginRemote, "filename", f.Filename, "bytes", n, "took", time.Since(start))
	return path, nil
}

// Keep implements index.RemoteFetcher: whether the remote's policy keeps fetched bytes
// (on_demand, and immediate) or not (streamed). ErrNotFound when the remote is gone.
func (m *Mirror) Keep(ctx context.Context, remote string) (bool, error) {
	r, err := m.Remote(ctx, remote)
	if err != nil {
		return false, err
	}
	return r.Policy != PolicyStreamed, nil
}

// upstreamOf returns the upstream of a remote, dialed once per version of its settings
// (serving on demand reuses its connections).
func (m *Mirror) upstreamOf(ctx context.Context, name string) (*upstream, error) {
	r, err := m.Remote(ctx, name)
	if err != nil {
		return nil, err
	}
	return m.dialed(r)
}

// dialed is dial(r), once per version of r's settings: the syncs of one remote, a
// pull-through page's and the downloads served on demand, share one client and its
// kept-alive connections. A client dialed each time made a pull-through page open a
// connection for nearly every one of its 21 requests, and left them open until their
// idle timeout. The client of a remote's older settings is dropped, its idle
// connections closed.
func (m *Mirror) dialed(r *Remote) (*upstream, error) {
	m.upMu.Lock()
	defer m.upMu.Unlock()
	old, ok := m.ups[r.Name]
	if ok && old.at.Equal(r.UpdatedAt) {
		return old.up, nil
	}
	up, err := m.dial(r)
	if err != nil {
		return nil, err
	}
	if ok {
		old.up.hc.CloseIdleConnections()
	}
	if m.ups == nil {
		m.ups = map[string]dialed{}
	}
	m.ups[r.Name] = dialed{up, r.UpdatedAt}
	return up, nil
}

type dialed struct {
	up *upstream
	at time.Time
}

// CheckRemote implements index.RemoteChecker: ErrNotFound when there is no such remote,
// so that a pull-through distribution naming none is refused when it is made.
func (m *Mirror) CheckRemote(ctx context.Context, name string) error {
	_, err := m.Remote(ctx, name)
	return err
}

// RefreshProject implements index.ProjectRefresher (pull-through): SyncProject, its
// result logged. Files that fail are skipped (and logged); a page that could not be read
// is the error (the index then serves the last page it has, or answers 502 when it has
// none), as is the sync's own.
func (m *Mirror) RefreshProject(ctx context.Context, repo, remote, project string) error {
	res, err := m.SyncProject(ctx, repo, remote, project)
	if err != nil {
		return err
	}
	var page error
	for _, f := range res.Failed {
		if f.Filename == "" {
			page = errors.New(f.Error)
			continue
		}
		m.log.Warn("pull-through: file skipped", "remote", remote, "repository", repo, "filename", f.Filename, "err", f.Error)
	}
	return page
}
