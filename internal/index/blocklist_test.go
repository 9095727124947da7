package index_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

func TestParseBlockRule(t *testing.T) {
	for in, want := range map[string]string{
		"Evil_Pkg":                      "evil-pkg",
		" evil.pkg == 1.0.0 ":           "evil-pkg==1.0.0",
		"evil-pkg==1.0RC1":              "evil-pkg==1.0rc1",
		"evil_pkg-1.0-py3-none-any.whl": "evil_pkg-1.0-py3-none-any.whl",
		"evil-pkg-1.0.tar.gz":           "evil-pkg-1.0.tar.gz",
	} {
		r, err := index.ParseBlockRule(in)
		if err != nil || r.Rule != want {
			t.Errorf("ParseBlockRule(%q) = %q, %v; want %q", in, r.Rule, err, want)
		}
	}
	for _, bad := range []string{"", "-x-", "x==not a version", "==1.0", "a/b-1.0.tar.gz", strings.Repeat("a", 600)} {
		if _, err := index.ParseBlockRule(bad); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("ParseBlockRule(%.20q): %v", bad, err)
		}
	}
}

// TestBlocklist: each kind of rule refuses the adds it matches with ErrBlocked naming
// the rule, through Upload and Apply, in that repository only; unblocking lets them in.
func TestBlocklist(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	if _, err := s.CreateRepository(ctx, "other", ""); err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{"Evil_Pkg", "bad-release==1.0.0", "bad_file-2.0-py3-none-any.whl"} {
		if _, err := s.Block(ctx, "main", rule); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Block(ctx, "main", "evil-pkg"); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("the same rule twice: %v", err)
	}
	for _, c := range []struct {
		name, version, rule string
		blocked             bool
	}{
		{"evil-pkg", "3.0", "evil-pkg", true},
		{"bad-release", "1.0", "bad-release==1.0.0", true}, // PEP 440-equal spelling
		{"bad-release", "1.1", "", false},
		{"bad-file", "2.0", "bad_file-2.0-py3-none-any.whl", true},
		{"bad-file", "2.1", "", false},
	} {
		fn, data := synthWheel(c.name, c.version)
		_, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: fn, Content: bytes.NewReader(data)})
		if c.blocked {
			if !errors.Is(err, index.ErrBlocked) || !errors.Is(err, errs.ErrForbidden) || !strings.Contains(err.Error(), `"`+c.rule+`"`) {
				t.Errorf("upload %s: %v; want blocked by %s", fn, err, c.rule)
			}
			if rule, ok, err := s.Blocked(ctx, "main", c.name, c.version, fn); !ok || rule != c.rule || err != nil {
				t.Errorf("Blocked(%s) = %q, %v, %v", fn, rule, ok, err)
			}
			// The same through Apply (what sync and pull-through use).
			p, err := s.Prepare(ctx, index.Upload{Filename: fn, Content: bytes.NewReader(data)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Apply(ctx, "main", "", []index.Change{{Kind: index.ChangeAdd, File: p}}); !errors.Is(err, index.ErrBlocked) {
				t.Errorf("apply %s: %v", fn, err)
			}
			// Another repository has its own blocklist.
			if _, _, err := s.Upload(ctx, index.Upload{Repository: "other", Filename: fn, Content: bytes.NewReader(data)}); err != nil {
				t.Errorf("upload %s to other: %v", fn, err)
			}
		} else if err != nil {
			t.Errorf("upload %s: %v", fn, err)
		}
	}
	rules, err := s.BlockRules(ctx, "main")
	if err != nil || len(rules) != 3 || rules[0].Rule != "bad-release==1.0.0" {
		t.Errorf("rules %+v, %v", rules, err)
	}
	if err := s.Unblock(ctx, "main", "EVIL.pkg"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unblock(ctx, "main", "evil-pkg"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("unblocking twice: %v", err)
	}
	fn, data := synthWheel("evil-pkg", "3.0")
	if _, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: fn, Content: bytes.NewReader(data)}); err != nil {
		t.Errorf("after unblocking: %v", err)
	}
}
