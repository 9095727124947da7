package mirror

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
)

// Options configures a Mirror. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// HTTPClient is the client of remotes without their own proxy, CA or TLS settings
	// (their timeouts are copied for those that have them); nil builds one.
	HTTPClient *http.Client
	// TempDir receives downloads until they are verified ("" = os.TempDir()).
	TempDir string
	// Concurrency bounds the downloads of one sync (default 8).
	Concurrency int
	// MaxClosure caps the projects of a --with-dependencies closure (default 5,000).
	MaxClosure int
	// Batch is how many projects a sync reads before applying them (default 200): a
	// full-index sync holds one batch of pages in memory, never the whole index.
	Batch int
	// MaxChanges is the most changes a sync writes in one transaction of its open
	// version (default and cap index.MaxChanges); however many there are, a sync makes
	// one version.
	MaxChanges int
	// MaxReported is how many failed (and skipped) files a result lists (default 1,000),
	// so that a sync of a huge index keeps a bounded result.
	MaxReported int
	// RetryBackoff is the wait before the second attempt of a failed request, doubling
	// after (default 250 ms; 4 attempts in all).
	RetryBackoff time.Duration
}

// Mirror manages remotes and syncs them into repositories of one index.
type Mirror struct {
	svc   *index.Service
	store metastore.Store
	log   *slog.Logger
	opts  Options
	now   func() time.Time

	enqueue Enqueuer // nil: StartSync runs syncs itself

	upMu sync.Mutex
	ups  map[string]dialed // remote name -> its upstream (syncs and FetchFile)
}

// New returns a Mirror writing through svc.
func New(svc *index.Service, opts Options) *Mirror {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.MaxClosure <= 0 {
		opts.MaxClosure = 5000
	}
	if opts.MaxReported <= 0 {
		opts.MaxReported = 1000
	}
	if opts.MaxChanges <= 0 || opts.MaxChanges > index.MaxChanges {
		opts.MaxChanges = index.MaxChanges
	}
	if opts.Batch <= 0 {
		opts.Batch = 200
	}
	return &Mirror{svc: svc, store: svc.Store(), log: opts.Logger, opts: opts,
		now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
}

// RemoteUpdate changes some settings of a remote: nil leaves one as it is.
type RemoteUpdate struct {
	URL                *string
	Includes, Excludes *[]string
	Prereleases        *bool
	PackageTypes       *[]string
	Platforms          *[]string
	Pythons            *[]string
	KeepLatest         *int
	Policy             *Policy
	WithDependencies   *bool
	Username, Password *string
	Token              *string
	Proxy              *string
	CACert             *string
	Insecure           *bool
}

// Apply sets on r the settings u gives.
func (u RemoteUpdate) Apply(r *Remote) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setList := func(dst *[]string, v *[]string) {
		if v != nil {
			*dst = *v
		}
	}
	setBool := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.URL, u.URL)
	setList(&r.Includes, u.Includes)
	setList(&r.Excludes, u.Excludes)
	setBool(&r.Prereleases, u.Prereleases)
	setList(&r.PackageTypes, u.PackageTypes)
	setList(&r.Platforms, u.Platforms)
	setList(&r.Pythons, u.Pythons)
	if u.KeepLatest != nil {
		r.KeepLatest = *u.KeepLatest
	}
	if u.Policy != nil {
		r.Policy = *u.Policy
	}
	setBool(&r.WithDependencies, u.WithDependencies)
	set(&r.Username, u.Username)
	set(&r.Password, u.Password)
	set(&r.Token, u.Token)
	set(&r.Proxy, u.Proxy)
	set(&r.CACert, u.CACert)
	setBool(&r.Insecure, u.Insecure)
	// Switching between Basic credentials and a token drops the other kind (giving both
	// is refused by Validate); no user means no password.
	given := func(v *string) bool { return v != nil && *v != "" }
	if given(u.Token) && !given(u.Username) {
		r.Username, r.Password = "", ""
	}
	if given(u.Username) && !given(u.Token) {
		r.Token = ""
	}
	if r.Username == "" && !given(u.Password) {
		r.Password = ""
	}
}

func toRow(r *Remote) (*metastore.Remote, error) {
	cfg, err := r.config()
	if err != nil {
		return nil, err
	}
	return &metastore.Remote{Name: r.Name, URL: r.URL, Config: cfg, Username: r.Username, Password: r.Password,
		Token: r.Token, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func fromRow(row *metastore.Remote) (*Remote, error) {
	r := &Remote{Name: row.Name, URL: row.URL, Username: row.Username, Password: row.Password, Token: row.Token,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	if err := r.setConfig(row.Config); err != nil {
		return nil, err
	}
	return r, nil
}

// CreateRemote validates r and stores it; ErrConflict when the name is taken. The
// answer is the stored remote, secrets included (callers showing it use Redacted).
func (m *Mirror) CreateRemote(ctx context.Context, r Remote) (*Remote, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = m.now(), m.now()
	row, err := toRow(&r)
	if err != nil {
		return nil, err
	}
	if err := m.store.InTx(ctx, func(tx metastore.Tx) error { return tx.CreateRemote(ctx, row) }); err != nil {
		return nil, err
	}
	m.log.Info("remote created", "remote", r.Name, "url", r.URL, "policy", r.Policy)
	return &r, nil
}

// UpdateRemote changes the settings u gives and validates the result; ErrNotFound when
// there is no such remote. After a change of what the remote selects (URL, filters) the
// next sync reads every page again: the sync state records the selection it was made
// under (Remote.selection).
func (m *Mirror) UpdateRemote(ctx context.Context, name string, u RemoteUpdate) (*Remote, error) {
	var out *Remote
	err := m.store.InTx(ctx, func(tx metastore.Tx) error {
		row, err := tx.Remote(ctx, name)
		if err != nil {
			return err
		}
		r, err := fromRow(row)
		if err != nil {
			return err
		}
		u.Apply(r)
		if err := r.Validate(); err != nil {
			return err
		}
		r.UpdatedAt = m.now()
		next, err := toRow(r)
		if err != nil {
			return err
		}
		if err := tx.UpdateRemote(ctx, next); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	m.log.Info("remote updated", "remote", name)
	return out, nil
}

// Remote returns a remote with its secrets; ErrNotFound.
func (m *Mirror) Remote(ctx context.Context, name string) (*Remote, error) {
	row, err := m.store.Remote(ctx, name)
	if err != nil {
		return nil, err
	}
	return fromRow(row)
}

// Remotes lists the remotes, sorted by name, with their secrets.
func (m *Mirror) Remotes(ctx context.Context) ([]Remote, error) {
	rows, err := m.store.Remotes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Remote, 0, len(rows))
	for i := range rows {
		r, err := fromRow(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}

// DeleteRemote deletes a remote and its sync state; ErrNotFound. Files synced from it
// stay; those not downloaded (on_demand, streamed) can no longer be fetched.
func (m *Mirror) DeleteRemote(ctx context.Context, name string) error {
	if name == "" {
		return fmt.Errorf("no remote name: %w", errs.ErrInvalid)
	}
	err := m.store.InTx(ctx, func(tx metastore.Tx) error { return tx.DeleteRemote(ctx, name) })
	if errors.Is(err, errs.ErrNotFound) {
		return fmt.Errorf("remote %s: %w", name, errs.ErrNotFound)
	}
	if err == nil {
		m.log.Info("remote deleted", "remote", name)
	}
	return err
}
