package envs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/resolver"
)

// hashSource names where a pin's allowed digests come from, for messages.
func (c *creator) hashSource(name string) string {
	if c.spec.Lock != nil {
		return "the lock " + c.spec.Source
	}
	return "the --hash options for " + name + " in " + c.spec.Source
}

// checkHashMode applies pip's hash-checking mode to a resolution: every package that
// will be installed, dependencies included, must be listed with its hashes, and the
// file chosen must match one of them when the index says its sha256 (the download is
// checked again in any case).
func (c *creator) checkHashMode(res *resolver.Result) error {
	if c.spec.Hashes == nil {
		return nil
	}
	var missing []string
	for _, p := range res.Pins {
		if _, ok := c.spec.Hashes[p.Name]; !ok {
			missing = append(missing, p.Name+"=="+p.Version.String())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("hash-checking mode (--hash or --require-hashes in %s): every package installed needs its own pinned, hashed line, and these dependencies have none: %s: %w",
			c.spec.Source, strings.Join(missing, ", "), errs.ErrInvalid)
	}
	for _, p := range res.Pins {
		allowed := c.spec.Hashes[p.Name]
		onlySHA256 := true
		for _, a := range allowed {
			onlySHA256 = onlySHA256 && strings.HasPrefix(a, "sha256:")
		}
		if p.File.SHA256 != "" && onlySHA256 && !hashAllowed(allowed, "sha256", p.File.SHA256) {
			return fmt.Errorf("%s does not match the hashes of %s: expected %s, got sha256:%s (as the index says): %w",
				p.File.Filename, c.hashSource(p.Name), strings.Join(allowed, " or "), p.File.SHA256, errs.ErrInvalid)
		}
	}
	return nil
}

// markLockYanked marks the pins of a lock whose file the index now lists as yanked, so
// that warnYanked names them as it does for a resolved pin: a lock pins exactly, and pip
// warns about an exactly pinned yanked release. The lock stays installable without the
// index: a listing that fails is only logged.
func (c *creator) markLockYanked(ctx context.Context, res *resolver.Result) {
	if c.client == nil {
		return
	}
	for i := range res.Pins {
		p := &res.Pins[i]
		page, err := c.client.Project(ctx, p.Name)
		if err != nil {
			c.log.Debug("cannot check the lock's pin for a yank", "project", p.Name, "err", err)
			continue
		}
		for _, f := range page.Files {
			if f.Filename == p.File.Filename && f.Yanked {
				p.File.Yanked, p.File.YankedReason = true, f.YankedReason
			}
		}
	}
}

// warnYanked warns about every yanked release that is installed (the resolver only
// takes one when it is pinned exactly), with the reason, as pip does.
func (c *creator) warnYanked(res *resolver.Result) {
	for _, p := range res.Pins {
		if !p.File.Yanked {
			continue
		}
		reason := p.File.YankedReason
		if reason == "" {
			reason = "(no reason given)"
		}
		c.log.Warn(fmt.Sprintf("installing a yanked release: %s %s (%s); reason for being yanked: %s", p.Name, p.Version, p.File.Filename, reason),
			"project", p.Name, "version", p.Version.String(), "reason", p.File.YankedReason)
	}
}

// sortedDiff returns the elements of a not in b, sorted.
func sortedDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}
