package index_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

func TestEnsureDefaultsIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	for range 2 {
		if err := s.EnsureDefaults(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rs, _ := s.Repositories(ctx)
	ds, _ := s.Distributions(ctx)
	if len(rs) != 1 || rs[0].Name != "main" || len(ds) != 1 || !ds[0].Public || ds[0].Repository != "main" || ds[0].Pinned != nil {
		t.Errorf("defaults: %+v %+v", rs, ds)
	}
}

func TestRepositoriesAndDistributions(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	if _, err := s.CreateRepository(ctx, "team", "the team's"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "Team", "a/b", "-x", "x y", strings.Repeat("a", 65)} {
		if _, err := s.CreateRepository(ctx, bad, ""); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("CreateRepository(%q): %v", bad, err)
		}
	}
	if _, err := s.CreateRepository(ctx, "team", ""); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("duplicate repository: %v", err)
	}
	r, err := s.Repository(ctx, "team")
	if err != nil || r.Latest != 0 || r.Description != "the team's" {
		t.Errorf("Repository = %+v, %v", r, err)
	}
	tests := []struct {
		d    index.Distribution
		want error
	}{
		{index.Distribution{BasePath: "team/dev", Repository: "team"}, nil},
		{index.Distribution{BasePath: "team/dev", Repository: "team"}, errs.ErrConflict},
		{index.Distribution{BasePath: "prod", Repository: "nope"}, errs.ErrNotFound},
		{index.Distribution{BasePath: "simple", Repository: "team"}, errs.ErrInvalid},
		{index.Distribution{BasePath: "api/x", Repository: "team"}, errs.ErrInvalid},
		{index.Distribution{BasePath: "a//b", Repository: "team"}, errs.ErrInvalid},
		{index.Distribution{BasePath: "x/simple", Repository: "team"}, errs.ErrInvalid},
		{index.Distribution{BasePath: "pinned", Repository: "team", Pinned: ptr(3)}, errs.ErrInvalid},
	}
	for _, tc := range tests {
		if _, err := s.CreateDistribution(ctx, tc.d); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("CreateDistribution(%+v): %v, want %v", tc.d, err, tc.want)
		}
	}
	// Promotion: repoint and pin.
	d, err := s.UpdateDistribution(ctx, "team/dev", index.Distribution{Repository: "main", Pinned: ptr(0), Public: true})
	if err != nil || d.Repository != "main" || *d.Pinned != 0 || !d.Public {
		t.Errorf("UpdateDistribution = %+v, %v", d, err)
	}
	d, err = s.UpdateDistribution(ctx, "team/dev", index.Distribution{})
	if err != nil || d.Repository != "main" || d.Pinned != nil || d.Public {
		t.Errorf("UpdateDistribution (unpin) = %+v, %v", d, err)
	}
	if _, err := s.UpdateDistribution(ctx, "nope", index.Distribution{}); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("update missing: %v", err)
	}
	if err := s.DeleteDistribution(ctx, "team/dev"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Distribution(ctx, "team/dev"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("deleted distribution: %v", err)
	}
	if _, _, err := s.Projects(ctx, &index.Distribution{Repository: "main", Pinned: ptr(5)}); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("view of a missing version: %v", err)
	}
}

func ptr(i int) *int { return &i }

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	admin, err := s.Bootstrap(ctx, "")
	if err != nil || !strings.HasPrefix(admin, "pyd_") || len(admin) != 4+43 {
		t.Fatalf("Bootstrap = %q, %v", admin, err)
	}
	if again, err := s.Bootstrap(ctx, ""); again != "" || err != nil { // (a given token rotates: TestAdminTokenRotation)
		t.Errorf("second Bootstrap = %q, %v", again, err)
	}
	tok, err := s.Authenticate(ctx, admin)
	if err != nil || tok.Scope != index.ScopeAdmin || !tok.Allows(index.ScopeAdmin, "") {
		t.Errorf("Authenticate(admin) = %+v, %v", tok, err)
	}
	plain, up, err := s.CreateToken(ctx, "ci", index.ScopeUpload, "main")
	if err != nil || plain == admin || up.Repository != "main" {
		t.Fatalf("CreateToken = %q %+v %v", plain, up, err)
	}
	got, err := s.Authenticate(ctx, plain)
	if err != nil || got.ID != up.ID || !got.Allows(index.ScopeUpload, "main") || got.Allows(index.ScopeUpload, "other") || got.Allows(index.ScopeAdmin, "main") {
		t.Errorf("Authenticate(ci) = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "pyd_nope", plain + "x", strings.ToUpper(plain)} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, errs.ErrUnauthorized) {
			t.Errorf("Authenticate(%q): %v", bad, err)
		}
	}
	if _, _, err := s.CreateToken(ctx, "x", "root", ""); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad scope: %v", err)
	}
	if _, _, err := s.CreateToken(ctx, "x", index.ScopeRead, "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unknown repository: %v", err)
	}
	// Only hashes are stored.
	rows, _ := s.Store().Tokens(ctx)
	for _, r := range rows {
		if strings.Contains(string(r.Hash), "pyd_") || len(r.Hash) != 32 {
			t.Errorf("token %d stored as %q", r.ID, r.Hash)
		}
	}
	if err := s.RevokeToken(ctx, up.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, plain); !errors.Is(err, errs.ErrUnauthorized) {
		t.Errorf("revoked token: %v", err)
	}
	if err := s.RevokeToken(ctx, up.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("revoking twice: %v", err)
	}
	ts, _ := s.Tokens(ctx)
	if len(ts) != 1 || ts[0].Name != "admin" {
		t.Errorf("Tokens = %+v", ts)
	}
}

func TestBootstrapWithGivenToken(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	if _, err := s.Bootstrap(ctx, "short"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("short admin token: %v", err)
	}
	got, err := s.Bootstrap(ctx, "my-admin-token-from-env")
	if err != nil || got != "my-admin-token-from-env" {
		t.Fatalf("Bootstrap = %q, %v", got, err)
	}
	if _, err := s.Authenticate(ctx, "my-admin-token-from-env"); err != nil {
		t.Error(err)
	}
}

// TestAdminTokenRotation: a restart with another PYDEPOT_ADMIN_TOKEN makes it the admin
// token and revokes the earlier one, saying so in the log; other tokens stay.
func TestAdminTokenRotation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newServiceAt(t, dir)
	const first, second = "first-admin-token-from-env", "second-admin-token-from-env"
	if got, err := s.Bootstrap(ctx, first); err != nil || got != first {
		t.Fatalf("Bootstrap(first) = %q, %v", got, err)
	}
	ci, _, err := s.CreateToken(ctx, "ci", index.ScopeUpload, "main")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Bootstrap(ctx, first); err != nil || got != "" {
		t.Errorf("restart with the same token: %q, %v", got, err)
	}
	var logs lockedBuffer
	s2, close2, err := backends.OpenDir(ctx, dir, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	defer close2()
	if got, err := s2.Bootstrap(ctx, second); err != nil || got != second {
		t.Fatalf("Bootstrap(second) = %q, %v", got, err)
	}
	if _, err := s2.Authenticate(ctx, first); !errors.Is(err, errs.ErrUnauthorized) {
		t.Errorf("the earlier admin token still works: %v", err)
	}
	tok, err := s2.Authenticate(ctx, second)
	if err != nil || !tok.Allows(index.ScopeAdmin, "") || tok.Name != "admin" {
		t.Errorf("the new admin token: %+v, %v", tok, err)
	}
	if _, err := s2.Authenticate(ctx, ci); err != nil {
		t.Errorf("a scoped token was revoked: %v", err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "admin token rotated") {
		t.Errorf("no warning: %q", logs.String())
	}
	ts, _ := s2.Tokens(ctx)
	if len(ts) != 2 {
		t.Errorf("tokens %+v", ts)
	}
	// Without PYDEPOT_ADMIN_TOKEN a restart changes nothing.
	if got, err := s2.Bootstrap(ctx, ""); err != nil || got != "" {
		t.Errorf("restart without a token: %q, %v", got, err)
	}
	// A scoped token's secret given as the admin token is ignored, loudly.
	logs.Reset()
	if got, err := s2.Bootstrap(ctx, ci); err != nil || got != "" {
		t.Errorf("Bootstrap(scoped token) = %q, %v", got, err)
	}
	if !strings.Contains(logs.String(), "without admin rights") {
		t.Errorf("no warning for a scoped token: %q", logs.String())
	}
	if _, err := s2.Authenticate(ctx, second); err != nil {
		t.Errorf("admin token lost: %v", err)
	}
}
