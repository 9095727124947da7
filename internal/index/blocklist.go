package index

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// ErrBlocked is the refusal of an add that the repository's blocklist matches (an
// upload, a sync, a pull-through); the error wrapping it names the rule. It wraps
// errs.ErrForbidden.
var ErrBlocked = fmt.Errorf("blocked by the repository's blocklist: %w", errs.ErrForbidden)

// BlockRule is one rule of a repository's blocklist: a project name ("evil-pkg", every
// version), "name==version" (that release, any PEP 440-equal spelling), or a filename.
type BlockRule struct {
	Repository string
	Rule       string // canonical: the name normalized, the version canonical
	CreatedAt  time.Time
}

// maxRuleLen bounds a rule's text.
const maxRuleLen = 512

// ParseBlockRule reads a rule (ErrInvalid naming the problem) into its stored form: a
// distribution filename is a filename rule, "name==version" a release rule, a name a
// project rule.
func ParseBlockRule(rule string) (metastore.BlockRule, error) {
	rule = strings.TrimSpace(rule)
	if rule == "" || len(rule) > maxRuleLen {
		return metastore.BlockRule{}, fmt.Errorf("block rule %.60q: give a project name, name==version or a filename (up to %d bytes): %w", rule, maxRuleLen, errs.ErrInvalid)
	}
	if name, ver, ok := strings.Cut(rule, "=="); ok {
		name, ver = strings.TrimSpace(name), strings.TrimSpace(ver)
		if !names.Valid(name) {
			return metastore.BlockRule{}, fmt.Errorf("block rule %q: %q is not a project name: %w", rule, name, errs.ErrInvalid)
		}
		v, err := versions.Parse(ver)
		if err != nil {
			return metastore.BlockRule{}, fmt.Errorf("block rule %q: %w", rule, err)
		}
		p := names.Normalize(name)
		return metastore.BlockRule{Rule: p + "==" + v.String(), Project: p, Version: v.String()}, nil
	}
	if strings.ContainsAny(rule, "/\\\x00") {
		return metastore.BlockRule{}, fmt.Errorf("block rule %q: a filename has no path: %w", rule, errs.ErrInvalid)
	}
	if _, err := filenames.Parse(rule); err == nil {
		return metastore.BlockRule{Rule: rule, Filename: rule}, nil
	}
	if !names.Valid(rule) {
		return metastore.BlockRule{}, fmt.Errorf("block rule %q: not a project name, name==version or a distribution filename: %w", rule, errs.ErrInvalid)
	}
	p := names.Normalize(rule)
	return metastore.BlockRule{Rule: p, Project: p}, nil
}

// matchRule returns the first rule of rules that blocks the file (project normalized).
func matchRule(rules []metastore.BlockRule, project, version, filename string) (string, bool) {
	var v *versions.Version
	for _, r := range rules {
		switch {
		case r.Filename != "":
			if r.Filename == filename {
				return r.Rule, true
			}
		case r.Project != project:
		case r.Version == "":
			return r.Rule, true
		default:
			if v == nil {
				pv, err := versions.Parse(version)
				if err != nil {
					continue
				}
				v = &pv
			}
			if rv, err := versions.Parse(r.Version); err == nil && rv.Compare(*v) == 0 {
				return r.Rule, true
			}
		}
	}
	return "", false
}

// blockedError is the refusal of filename by rule.
func blockedError(repo, filename, rule string) error {
	return fmt.Errorf("%s: rule %q of repository %s matches it: %w", filename, rule, repo, ErrBlocked)
}

// Blocked reports whether the blocklist of repo refuses a file of project (any
// spelling) at version, named filename, and by which rule. Sync asks it before
// fetching, and reports blocked files as skipped; Apply refuses them all the same.
func (s *Service) Blocked(ctx context.Context, repo, project, version, filename string) (string, bool, error) {
	bl, err := s.BlockSnapshot(ctx, repo)
	if err != nil {
		return "", false, err
	}
	rule, ok := bl.Blocks(project, version, filename)
	return rule, ok, nil
}

// Block adds a rule to repo's blocklist (ErrConflict when it is there). Files already
// stored stay; the rule refuses what is added from now on.
func (s *Service) Block(ctx context.Context, repo, rule string) (*BlockRule, error) {
	br, err := ParseBlockRule(rule)
	if err != nil {
		return nil, err
	}
	br.CreatedAt = s.now()
	err = s.store.InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.Repository(ctx, repo)
		if err != nil {
			return err
		}
		br.RepositoryID = r.ID
		if have, ok, err := findRule(ctx, tx, r.ID, br); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("repository %s already blocks %s (as %q): %w", repo, br.Rule, have, errs.ErrConflict)
		}
		return tx.AddBlockRule(ctx, &br)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("blocklist rule added", "repository", repo, "rule", br.Rule)
	return &BlockRule{Repository: repo, Rule: br.Rule, CreatedAt: br.CreatedAt}, nil
}

// Unblock removes a rule (in any spelling ParseBlockRule reads) from repo's blocklist;
// ErrNotFound when it is not there.
func (s *Service) Unblock(ctx context.Context, repo, rule string) error {
	br, err := ParseBlockRule(rule)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.Repository(ctx, repo)
		if err != nil {
			return err
		}
		if have, ok, err := findRule(ctx, tx, r.ID, br); err != nil {
			return err
		} else if ok {
			br.Rule = have
		}
		return tx.DeleteBlockRule(ctx, r.ID, br.Rule)
	})
	if err == nil {
		s.log.Info("blocklist rule removed", "repository", repo, "rule", br.Rule)
	}
	return err
}

// findRule finds the stored rule equal to br: the same text, or the same release in
// another PEP 440 spelling (1.0 and 1.0.0).
func findRule(ctx context.Context, tx metastore.Tx, repoID int64, br metastore.BlockRule) (string, bool, error) {
	rules, err := tx.BlockRules(ctx, repoID)
	if err != nil {
		return "", false, err
	}
	want, _ := versions.Parse(br.Version)
	for _, r := range rules {
		if r.Rule == br.Rule {
			return r.Rule, true, nil
		}
		if br.Version != "" && r.Project == br.Project && r.Version != "" {
			if v, err := versions.Parse(r.Version); err == nil && v.Compare(want) == 0 {
				return r.Rule, true, nil
			}
		}
	}
	return "", false, nil
}

// BlockRules lists repo's blocklist.
func (s *Service) BlockRules(ctx context.Context, repo string) ([]BlockRule, error) {
	r, err := s.store.Repository(ctx, repo)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.BlockRules(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	out := make([]BlockRule, len(rows))
	for i, row := range rows {
		out[i] = BlockRule{Repository: repo, Rule: row.Rule, CreatedAt: row.CreatedAt}
	}
	return out, nil
}

// checkBlocked refuses row when the batch's repository blocks it; the rules are read
// once per batch.
func (b *batch) checkBlocked(ctx context.Context, row *metastore.File) error {
	if !b.rulesRead {
		rules, err := b.tx.BlockRules(ctx, b.r.ID)
		if err != nil {
			return err
		}
		b.rules, b.rulesRead = rules, true
	}
	if len(b.rules) == 0 {
		return nil
	}
	if rule, ok := matchRule(b.rules, row.Project, row.Version, row.Filename); ok {
		return blockedError(b.r.Name, row.Filename, rule)
	}
	return nil
}

// BlockSnapshot is repo's blocklist as read once, for a caller that asks of many files (a
// sync, per batch): Blocks answers as Blocked would have when it was read.
type BlockSnapshot struct{ rules []metastore.BlockRule }

// BlockSnapshot reads repo's blocklist.
func (s *Service) BlockSnapshot(ctx context.Context, repo string) (*BlockSnapshot, error) {
	r, err := s.store.Repository(ctx, repo)
	if err != nil {
		return nil, err
	}
	rules, err := s.store.BlockRules(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return &BlockSnapshot{rules: rules}, nil
}

// Blocks is Blocked against the blocklist as read.
func (b *BlockSnapshot) Blocks(project, version, filename string) (string, bool) {
	if len(b.rules) == 0 {
		return "", false
	}
	return matchRule(b.rules, names.Normalize(project), version, filename)
}
