package resolver

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// IndexProvider is a Provider over a simpleindex.Client. Files whose names do not parse
// are skipped (logged at Debug). Dependencies are read from each file's core metadata,
// cached by URL.
type IndexProvider struct {
	// SdistMetadata, when set, is asked for the core metadata of an sdist whose PKG-INFO
	// does not reliably list its dependencies (Metadata-Version below 2.2, or Requires-Dist
	// marked Dynamic, PEP 643): typically a PEP 517 prepare_metadata_for_build_wheel run.
	// When nil, PKG-INFO is used as it is (logged at Debug).
	SdistMetadata func(ctx context.Context, f simpleindex.File) ([]byte, error)

	c   *simpleindex.Client
	log *slog.Logger

	mu   sync.Mutex
	deps map[string]parsedMetadata
}

type parsedMetadata struct {
	reqs           []requirements.Requirement
	requiresPython string
}

// NewIndexProvider returns a Provider reading from c.
func NewIndexProvider(c *simpleindex.Client, logger *slog.Logger) *IndexProvider {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &IndexProvider{c: c, log: logger, deps: map[string]parsedMetadata{}}
}

// Location returns the index URLs (without credentials).
func (p *IndexProvider) Location() string { return strings.Join(p.c.BaseURLs(), ", ") }

// Candidates lists the project's files grouped by version.
func (p *IndexProvider) Candidates(ctx context.Context, name string) ([]Candidate, error) {
	page, err := p.c.Project(ctx, name)
	if err != nil {
		return nil, err
	}
	return CandidatesFromPage(name, page, p.log), nil
}

// CandidatesFromPage groups a project page's files by version (file name parsed with
// internal/filenames; others are skipped).
func CandidatesFromPage(name string, page *simpleindex.ProjectPage, log *slog.Logger) []Candidate {
	byVersion := map[string]int{}
	var out []Candidate
	for _, sf := range page.Files {
		d, err := filenames.Parse(sf.Filename)
		if err != nil {
			if log != nil {
				log.Debug("skipping file with a bad name", "file", sf.Filename, "err", err)
			}
			continue
		}
		f := File{
			Filename: sf.Filename, URL: sf.URL, SHA256: sf.SHA256(), Size: sf.Size,
			Sdist: d.Kind == filenames.KindSdist, Tags: d.Tags,
			RequiresPython: sf.RequiresPython, Yanked: sf.Yanked, YankedReason: sf.YankedReason,
			UploadTime: sf.UploadTime, Ref: sf,
		}
		key := d.Version.String()
		i, ok := byVersion[key]
		if !ok {
			i = len(out)
			byVersion[key] = i
			out = append(out, Candidate{Name: name, Version: d.Version})
		}
		out[i].Files = append(out[i].Files, f)
	}
	return out
}

// Prefetch fetches the project pages of names concurrently (at most 8 at a time) into
// the client's page cache.
func (p *IndexProvider) Prefetch(ctx context.Context, names []string) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := p.c.Project(ctx, n); err != nil {
				p.log.Debug("prefetch failed", "project", n, "err", err)
			}
		}()
	}
	wg.Wait()
}

// Dependencies reads Requires-Dist from the file's core metadata. Metadata that cannot
// be parsed makes the version unusable (*UnusableError), not the resolution fail.
func (p *IndexProvider) Dependencies(ctx context.Context, c Candidate, f File) ([]requirements.Requirement, error) {
	md, err := p.metadata(ctx, f)
	return md.reqs, err
}

// RequiresPython returns the Requires-Python of the file's core metadata.
func (p *IndexProvider) RequiresPython(ctx context.Context, c Candidate, f File) (string, error) {
	md, err := p.metadata(ctx, f)
	return md.requiresPython, err
}

func (p *IndexProvider) metadata(ctx context.Context, f File) (parsedMetadata, error) {
	p.mu.Lock()
	pm, ok := p.deps[f.URL]
	p.mu.Unlock()
	if ok {
		return pm, nil
	}
	sf, ok := f.Ref.(simpleindex.File)
	if !ok {
		return pm, fmt.Errorf("file %s: not from this provider", f.Filename)
	}
	data, err := p.c.Metadata(ctx, sf)
	if err != nil {
		return pm, err
	}
	md, err := metadata.Parse(data)
	if err != nil {
		return pm, &UnusableError{Reason: fmt.Sprintf("has invalid metadata (%v)", err)}
	}
	if f.Sdist && !md.StaticDependencies() {
		if p.SdistMetadata == nil {
			p.log.Debug("sdist dependencies may be incomplete", "file", f.Filename, "metadata_version", md.MetadataVersion)
		} else {
			if data, err = p.SdistMetadata(ctx, sf); err != nil {
				return pm, fmt.Errorf("metadata of %s: %w", f.Filename, err)
			}
			if md, err = metadata.Parse(data); err != nil {
				return pm, &UnusableError{Reason: fmt.Sprintf("has invalid built metadata (%v)", err)}
			}
		}
	}
	pm.requiresPython = md.RequiresPython
	pm.reqs, err = md.Requirements()
	if err != nil {
		return pm, &UnusableError{Reason: fmt.Sprintf("has invalid metadata (%v)", err)}
	}
	p.mu.Lock()
	p.deps[f.URL] = pm
	p.mu.Unlock()
	return pm, nil
}
