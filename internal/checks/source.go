package checks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/pydepot/pydepot/internal/checkrun"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/resolver"
	"github.com/pydepot/pydepot/internal/versions"
)

// Bounds of the in-process wheelhouse source.
const (
	maxMetadataBytes = 16 << 20 // one core metadata file
	maxWheelBytes    = 2 << 30  // one file fetched into the wheelhouse
)

// Source is the wheelhouse source of the check of a file of repository: the
// distribution a client would install it from, read in process (no HTTP, no token):
// the first merged view whose first source is the repository (so that a hosted
// package's public dependencies come from the mirror behind it), else the repository's
// latest version. It is what serve gives checkrun.Config.Source.
func Source(idx *index.Service) func(ctx context.Context, repository string) (checkrun.Source, error) {
	return func(ctx context.Context, repository string) (checkrun.Source, error) {
		d, err := viewOf(ctx, idx, repository)
		if err != nil {
			return checkrun.Source{}, err
		}
		p := &provider{idx: idx, d: d, deps: map[string]parsedDeps{}}
		return checkrun.Source{Provider: p, Fetch: p.fetch}, nil
	}
}

// viewOf picks the distribution that resolves a check's dependencies (see Source).
func viewOf(ctx context.Context, idx *index.Service, repository string) (*index.Distribution, error) {
	ds, err := idx.Distributions(ctx)
	if err != nil {
		return nil, fmt.Errorf("the distributions to resolve in: %w", err)
	}
	for i := range ds {
		d := &ds[i]
		if d.Sources != nil && d.Repository == repository && d.Pinned == nil {
			return d, nil
		}
	}
	return latest(repository), nil
}

// provider is a resolver.Provider over one distribution of the index.
type provider struct {
	idx *index.Service
	d   *index.Distribution

	mu   sync.Mutex
	deps map[string]parsedDeps // by filename
}

type parsedDeps struct {
	reqs           []requirements.Requirement
	requiresPython string
}

// Location implements resolver.Locator.
func (p *provider) Location() string {
	if p.d.BasePath != "" {
		return "distribution " + p.d.BasePath
	}
	return "repository " + p.d.Repository
}

// Candidates implements resolver.Provider.
func (p *provider) Candidates(ctx context.Context, name string) ([]resolver.Candidate, error) {
	norm := names.Normalize(name)
	proj, err := p.idx.ProjectPage(ctx, p.d, norm) // the columns a page shows: all a resolver needs
	if err != nil {
		return nil, err
	}
	byVersion := map[string]int{}
	var out []resolver.Candidate
	for i := range proj.Files {
		f := &proj.Files[i]
		d, err := filenames.Parse(f.Filename)
		if err != nil {
			continue
		}
		v, err := versions.Parse(f.Version)
		if err != nil {
			v = d.Version
		}
		rf := resolver.File{Filename: f.Filename, SHA256: f.SHA256, Size: f.Size, Sdist: d.Kind == filenames.KindSdist,
			Tags: d.Tags, RequiresPython: f.RequiresPython, Yanked: f.Yanked, YankedReason: f.YankReason,
			UploadTime: f.UploadTime, Ref: *f}
		key := v.String()
		j, ok := byVersion[key]
		if !ok {
			j = len(out)
			byVersion[key] = j
			out = append(out, resolver.Candidate{Name: norm, Version: v})
		}
		out[j].Files = append(out[j].Files, rf)
	}
	return out, nil
}

// Dependencies implements resolver.Provider, from the file's core metadata.
func (p *provider) Dependencies(ctx context.Context, c resolver.Candidate, f resolver.File) ([]requirements.Requirement, error) {
	d, err := p.metadata(ctx, f)
	return d.reqs, err
}

// RequiresPython implements resolver.MetadataPython.
func (p *provider) RequiresPython(ctx context.Context, c resolver.Candidate, f resolver.File) (string, error) {
	d, err := p.metadata(ctx, f)
	return d.requiresPython, err
}

func (p *provider) metadata(ctx context.Context, f resolver.File) (parsedDeps, error) {
	p.mu.Lock()
	d, ok := p.deps[f.Filename]
	p.mu.Unlock()
	if ok {
		return d, nil
	}
	of, err := p.idx.OpenFile(ctx, p.d, f.Filename+".metadata", 0)
	if err != nil {
		return d, fmt.Errorf("metadata of %s: %w", f.Filename, err)
	}
	defer of.Body.Close()
	data, err := io.ReadAll(io.LimitReader(of.Body, maxMetadataBytes+1))
	if err != nil {
		return d, fmt.Errorf("metadata of %s: %w", f.Filename, err)
	}
	if len(data) > maxMetadataBytes {
		return d, fmt.Errorf("metadata of %s: over %d bytes: %w", f.Filename, maxMetadataBytes, errs.ErrTooLarge)
	}
	md, err := metadata.Parse(data)
	if err != nil {
		return d, &resolver.UnusableError{Reason: fmt.Sprintf("has invalid metadata (%v)", err)}
	}
	if d.reqs, err = md.Requirements(); err != nil {
		return d, &resolver.UnusableError{Reason: fmt.Sprintf("has invalid metadata (%v)", err)}
	}
	d.requiresPython = md.RequiresPython
	p.mu.Lock()
	p.deps[f.Filename] = d
	p.mu.Unlock()
	return d, nil
}

// fetch copies file f into dir, checking its size and sha256, and returns its path.
func (p *provider) fetch(ctx context.Context, f resolver.File, dir string) (string, error) {
	if f.Filename != filepath.Base(f.Filename) || slices.Contains([]string{"", ".", ".."}, f.Filename) {
		return "", fmt.Errorf("file name %q: %w", f.Filename, errs.ErrInvalid)
	}
	of, err := p.idx.OpenFile(ctx, p.d, f.Filename, 0)
	if err != nil {
		return "", err
	}
	defer of.Body.Close()
	tmp, err := os.CreateTemp(dir, ".fetch-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(of.Body, maxWheelBytes+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("fetching %s: %w", f.Filename, err)
	}
	if n > maxWheelBytes {
		return "", fmt.Errorf("fetching %s: over %d bytes: %w", f.Filename, int64(maxWheelBytes), errs.ErrTooLarge)
	}
	if got := hex.EncodeToString(h.Sum(nil)); (f.SHA256 != "" && got != f.SHA256) || (f.Size >= 0 && n != f.Size) {
		return "", fmt.Errorf("fetching %s: %d bytes with sha256 %s, want %d bytes with %s: %w", f.Filename, n, got, f.Size, f.SHA256, errs.ErrInvalid)
	}
	dst := filepath.Join(dir, f.Filename)
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", err
	}
	return dst, nil
}
