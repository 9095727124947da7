package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/server/wire"
)

// sourceFlags are the merged-view and pull-through flags of distribution create/update.
type sourceFlags struct {
	sources     []string
	allowShadow []string
	pullThrough string
	pullRepo    string
	ttl         time.Duration
}

func (sf *sourceFlags) register(cmd *cobra.Command, env Env) {
	fl := cmd.Flags()
	fl.StringArrayVar(&sf.sources, "source", nil, "serve this repository (REPO or REPO@VERSION to pin it); repeat for a merged view, earlier sources first: a project an earlier source knows is hidden in the later ones")
	fl.StringArrayVar(&sf.allowShadow, "allow-shadow", nil, "merge this project's files across the sources instead of hiding it in the later ones (earlier filename wins); repeatable")
	fl.StringVar(&sf.pullThrough, "pull-through", "", "fetch projects from this remote when first asked for, after the other sources")
	fl.StringVar(&sf.pullRepo, "pull-repository", "", "repository the pulled projects are kept in (default: the remote's name; created when missing)")
	fl.DurationVar(&sf.ttl, "ttl", 0, "refresh a pulled project page after this long (default 10m)")
	_ = cmd.RegisterFlagCompletionFunc("source", completeFrom(env, repositoryNames))
	_ = cmd.RegisterFlagCompletionFunc("pull-repository", completeFrom(env, repositoryNames))
	_ = cmd.RegisterFlagCompletionFunc("pull-through", completeFrom(env, remoteNames))
}

// changed reports whether any source flag was given.
func (sf *sourceFlags) changed(cmd *cobra.Command) bool {
	fl := cmd.Flags()
	return fl.Changed("source") || fl.Changed("pull-through") || fl.Changed("pull-repository") || fl.Changed("ttl")
}

// list builds the sources: first (when not "") the --repository given with them, then
// every --source, then the pull-through.
func (sf *sourceFlags) list(first string, firstPin *int) ([]wire.Source, error) {
	var out []wire.Source
	if first != "" {
		out = append(out, wire.Source{Repository: first, Pinned: firstPin})
	}
	for _, s := range sf.sources {
		repo, pin, hasPin := strings.Cut(s, "@")
		src := wire.Source{Repository: repo}
		if hasPin {
			n, err := strconv.Atoi(pin)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("--source %s: the version after @ must be a repository version number", s)
			}
			src.Pinned = &n
		}
		out = append(out, src)
	}
	if sf.pullThrough == "" {
		if sf.pullRepo != "" || sf.ttl != 0 {
			return nil, fmt.Errorf("--pull-repository and --ttl go with --pull-through")
		}
		return out, nil
	}
	repo := sf.pullRepo
	if repo == "" {
		repo = sf.pullThrough
	}
	if sf.ttl < 0 || (sf.ttl > 0 && sf.ttl < time.Second) {
		return nil, fmt.Errorf("--ttl %s: give at least 1s", sf.ttl)
	}
	return append(out, wire.Source{Repository: repo, PullThrough: sf.pullThrough, TTLSeconds: int64(sf.ttl / time.Second)}), nil
}

// describeSources says what a merged view serves, in order.
func describeSources(d wire.Distribution) string {
	var parts []string
	for _, s := range d.Sources {
		p := s.Repository
		if s.Pinned != nil {
			p += "@" + strconv.Itoa(*s.Pinned)
		}
		if s.PullThrough != "" {
			p += fmt.Sprintf(" (pull-through from remote %s, ttl %s)", s.PullThrough, time.Duration(s.TTLSeconds)*time.Second)
		}
		parts = append(parts, p)
	}
	out := "merges " + strings.Join(parts, ", then ")
	if len(d.AllowShadow) > 0 {
		out += "; shadowing allowed for " + strings.Join(d.AllowShadow, ", ")
	}
	return out
}

// sourceNames is a merged view's repositories for a table: "hosted+mirror".
func sourceNames(d wire.Distribution) string {
	var names []string
	for _, s := range d.Sources {
		names = append(names, s.Repository)
	}
	return strings.Join(names, "+")
}
