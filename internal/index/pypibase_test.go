package index_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// TestPyPIBasePath: "pypi" is a base path as a whole (what proxpi and devpi users type),
// and stays reserved at any other depth and for nesting: a/pypi would take a's PyPI JSON
// API, pypi/x the root distribution's /pypi/x/json, even for an admin on every repository.
func TestPyPIBasePath(t *testing.T) {
	if err := index.CheckBasePath(index.PyPIBasePath); err != nil {
		t.Errorf("CheckBasePath(pypi) = %v", err)
	}
	for _, bad := range []string{"a/pypi", "pypi/x", "pypi/pypi", "pypi/simple", "a/pypi/b", "x/y/z/pypi", "pypi/a/b/c"} {
		err := index.CheckBasePath(bad)
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), `"pypi" is reserved`) {
			t.Errorf("CheckBasePath(%q) = %v, want ErrInvalid saying pypi is reserved", bad, err)
		}
	}
	for _, w := range []string{"simple", "files", "packages", "project", "legacy"} {
		if err := index.CheckBasePath(w); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("CheckBasePath(%q) = %v: only pypi is allowed whole", w, err)
		}
	}

	ctx := context.Background()
	s := newService(t)
	if _, err := s.CreateRepository(ctx, "proxied", ""); err != nil {
		t.Fatal(err)
	}
	global, err := s.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	root, err := s.Authenticate(ctx, global)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.CreateDistributionAs(ctx, root, index.Distribution{BasePath: "pypi", Repository: "proxied", Public: true})
	if err != nil || d.BasePath != "pypi" {
		t.Fatalf("create pypi: %v %v", d, err)
	}
	for _, base := range []string{"pypi/x", "pypi/dev/x"} {
		if _, err := s.CreateDistributionAs(ctx, root, index.Distribution{BasePath: base, Repository: "proxied"}); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("nesting %s under pypi with a global admin: %v, want ErrInvalid", base, err)
		}
	}
	if _, err := s.CreateDistributionAs(ctx, root, index.Distribution{BasePath: "pypi", Repository: "proxied"}); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("a second pypi: %v, want ErrConflict", err)
	}
}
