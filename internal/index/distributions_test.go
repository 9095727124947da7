package index_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// realToken creates a token and authenticates it, as a request would.
func realToken(t *testing.T, s *index.Service, name string, scope index.Scope, repo string) *index.Token {
	t.Helper()
	ctx := context.Background()
	plain, _, err := s.CreateToken(ctx, name, scope, repo)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Authenticate(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestBasePathReservedAtEveryDepth(t *testing.T) {
	for _, bad := range []string{"secret/files", "secret/packages", "packages", "secret/pypi", "secret/legacy", "secret/simple", "a/project", "a/b/api", "a/doc/b", "files", "x/y/z/static"} {
		if err := index.CheckBasePath(bad); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("CheckBasePath(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	for _, good := range []string{"secret", "team/dev", "a/b/c/d", "simple-ish", "my.files"} {
		if err := index.CheckBasePath(good); err != nil {
			t.Errorf("CheckBasePath(%q) = %v", good, err)
		}
	}
	if err := index.CheckBasePath("a/b/c/d/e"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("five segments: %v", err)
	}
}

func TestNestedDistributionsNeedAdminOnBoth(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	for _, r := range []string{"secret", "team"} {
		if _, err := s.CreateRepository(ctx, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	global, err := s.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	root, err := s.Authenticate(ctx, global)
	if err != nil {
		t.Fatal(err)
	}
	teamAdmin := realToken(t, s, "team-admin", index.ScopeAdmin, "team")
	secretAdmin := realToken(t, s, "secret-admin", index.ScopeAdmin, "secret")
	if _, err := s.CreateDistributionAs(ctx, secretAdmin, index.Distribution{BasePath: "secret", Repository: "secret"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDistributionAs(ctx, teamAdmin, index.Distribution{BasePath: "team/a/b", Repository: "team", Public: true}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		by   *index.Token
		d    index.Distribution
		want error
	}{
		{"reserved files under another's", teamAdmin, index.Distribution{BasePath: "secret/files", Repository: "team"}, errs.ErrInvalid},
		{"reserved pypi", teamAdmin, index.Distribution{BasePath: "secret/pypi", Repository: "team"}, errs.ErrInvalid},
		{"reserved legacy", teamAdmin, index.Distribution{BasePath: "secret/legacy", Repository: "team"}, errs.ErrInvalid},
		{"under another repository's", teamAdmin, index.Distribution{BasePath: "secret/dev", Repository: "team"}, errs.ErrForbidden},
		{"above another repository's", secretAdmin, index.Distribution{BasePath: "team/a", Repository: "secret"}, errs.ErrForbidden},
		{"above, two levels", secretAdmin, index.Distribution{BasePath: "team", Repository: "secret"}, errs.ErrForbidden},
		{"not admin on the target", teamAdmin, index.Distribution{BasePath: "elsewhere", Repository: "secret"}, errs.ErrForbidden},
		{"upload scope", realToken(t, s, "ci", index.ScopeUpload, "team"), index.Distribution{BasePath: "ci", Repository: "team"}, errs.ErrForbidden},
		{"no token", nil, index.Distribution{BasePath: "anon", Repository: "team"}, errs.ErrUnauthorized},
		{"same repository nests", teamAdmin, index.Distribution{BasePath: "team/a", Repository: "team"}, nil},
		{"same repository, below", teamAdmin, index.Distribution{BasePath: "team/a/b/c", Repository: "team"}, nil},
		{"admin on both", root, index.Distribution{BasePath: "secret/mirror", Repository: "team"}, nil},
	}
	for _, tc := range tests {
		_, err := s.CreateDistributionAs(ctx, tc.by, tc.d)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: CreateDistributionAs(%s for %s) = %v, want %v", tc.name, tc.d.BasePath, tc.d.Repository, err, tc.want)
		}
	}
	// Repointing is checked the same way.
	if _, err := s.UpdateDistributionAs(ctx, teamAdmin, "team/a", index.Distribution{Repository: "secret"}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("repoint to a repository not administered: %v", err)
	}
	if _, err := s.UpdateDistributionAs(ctx, teamAdmin, "secret", index.Distribution{Public: true}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("update another repository's distribution: %v", err)
	}
	if _, err := s.CreateDistributionAs(ctx, root, index.Distribution{BasePath: "lone", Repository: "secret"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDistributionAs(ctx, teamAdmin, index.Distribution{BasePath: "lone/x", Repository: "team"}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("under lone: %v", err)
	}
	if _, err := s.UpdateDistributionAs(ctx, teamAdmin, "team/a/b", index.Distribution{Repository: "team", Public: false}); err != nil {
		t.Errorf("update own: %v", err)
	}
	// The private distribution is untouched.
	d, err := s.Distribution(ctx, "secret")
	if err != nil || d.Repository != "secret" || d.Public {
		t.Errorf("secret: %+v, %v", d, err)
	}
	ds, _ := s.Distributions(ctx)
	var bases []string
	for _, d := range ds {
		bases = append(bases, d.BasePath)
	}
	t.Logf("distributions: %v", bases)
}
