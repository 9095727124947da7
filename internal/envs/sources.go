package envs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/inspect"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/resolver"
	"github.com/pydepot/pydepot/internal/versions"
)

// localFile is the resolver.File.Ref of a file in a --find-links folder (or a lock's
// path): fetch copies it into the cache instead of downloading it.
type localFile struct{ Path string }

// maxLocalFiles bounds the distribution files read from one --find-links folder.
const maxLocalFiles = 20000

// localDirs is a resolver.Provider over local folders of distribution files (pip's
// --find-links DIR): the files are listed once, hashed, and grouped by project.
type localDirs struct {
	dirs   []string
	byName map[string][]resolver.Candidate
	// sdistMetadata learns an sdist's dependencies when PKG-INFO cannot be trusted.
	sdistMetadata func(ctx context.Context, path string) ([]byte, error)
}

func newLocalDirs(ctx context.Context, dirs []string, log *slog.Logger) (*localDirs, error) {
	ld := &localDirs{dirs: dirs, byName: map[string][]resolver.Candidate{}}
	count := 0
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("--find-links %s: %w", dir, err)
		}
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if !e.Type().IsRegular() {
				continue
			}
			d, err := filenames.Parse(e.Name())
			if err != nil {
				log.Debug("find-links: skipping a file that is not a distribution", "file", e.Name(), "err", err)
				continue
			}
			if count++; count > maxLocalFiles {
				return nil, fmt.Errorf("--find-links: more than %d distribution files: %w", maxLocalFiles, errs.ErrTooLarge)
			}
			p := filepath.Join(dir, e.Name())
			digest, size, err := hashFile(p)
			if err != nil {
				return nil, err
			}
			f := resolver.File{Filename: e.Name(), URL: "file://" + p, SHA256: digest, Size: size,
				Sdist: d.Kind == filenames.KindSdist, Tags: d.Tags, Ref: localFile{Path: p}}
			n := names.Normalize(d.Name)
			ld.add(n, d.Version, f)
		}
	}
	return ld, nil
}

func (ld *localDirs) add(name string, v versions.Version, f resolver.File) {
	cs := ld.byName[name]
	for i := range cs {
		if cs[i].Version.String() == v.String() {
			cs[i].Files = append(cs[i].Files, f)
			return
		}
	}
	ld.byName[name] = append(cs, resolver.Candidate{Name: name, Version: v, Files: []resolver.File{f}})
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Candidates lists the folder's files of the project; none is errs.ErrNotFound.
func (ld *localDirs) Candidates(_ context.Context, name string) ([]resolver.Candidate, error) {
	cs := ld.byName[name]
	if len(cs) == 0 {
		return nil, fmt.Errorf("%s is not in the --find-links folders: %w", name, errs.ErrNotFound)
	}
	return cs, nil
}

func (ld *localDirs) metadata(ctx context.Context, f resolver.File) (*metadata.Metadata, error) {
	lf, ok := f.Ref.(localFile)
	if !ok {
		return nil, fmt.Errorf("file %s: not from a --find-links folder", f.Filename)
	}
	fh, err := os.Open(lf.Path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	info, err := inspect.Inspect(ctx, f.Filename, fh, f.Size)
	if err != nil {
		return nil, &resolver.UnusableError{Reason: fmt.Sprintf("cannot be read (%v)", err)}
	}
	md := info.Metadata
	if f.Sdist && !md.StaticDependencies() && ld.sdistMetadata != nil {
		data, err := ld.sdistMetadata(ctx, lf.Path)
		if err != nil {
			return nil, fmt.Errorf("metadata of %s: %w", f.Filename, err)
		}
		if md, err = metadata.Parse(data); err != nil {
			return nil, &resolver.UnusableError{Reason: fmt.Sprintf("has invalid built metadata (%v)", err)}
		}
	}
	return md, nil
}

// Dependencies reads the file's metadata.
func (ld *localDirs) Dependencies(ctx context.Context, _ resolver.Candidate, f resolver.File) ([]requirements.Requirement, error) {
	md, err := ld.metadata(ctx, f)
	if err != nil {
		return nil, err
	}
	reqs, err := md.Requirements()
	if err != nil {
		return nil, &resolver.UnusableError{Reason: fmt.Sprintf("has invalid metadata (%v)", err)}
	}
	return reqs, nil
}

// RequiresPython reads the file's metadata.
func (ld *localDirs) RequiresPython(ctx context.Context, _ resolver.Candidate, f resolver.File) (string, error) {
	md, err := ld.metadata(ctx, f)
	if err != nil {
		return "", err
	}
	return md.RequiresPython, nil
}

// specProvider is the resolver.Provider of one Create: the index (nil with --no-index)
// and the --find-links folders, with the spec's file filters applied: --only-binary /
// --no-binary, and in hash-checking mode pip's rule that only the files whose digest is
// allowed are candidates when the index says their digest (when none is, all are kept
// and the download check reports the mismatch).
// Location names the index and the --find-links folders, for the resolver's "X is not
// on ..." (resolver.Locator).
func (p *specProvider) Location() string {
	var parts []string
	if l, ok := p.index.(resolver.Locator); ok && l.Location() != "" {
		parts = append(parts, l.Location())
	}
	if p.local != nil {
		parts = append(parts, p.local.dirs...)
	}
	return strings.Join(parts, " or ")
}

type specProvider struct {
	index resolver.Provider
	local *localDirs
	spec  *Spec

	mu    sync.Mutex
	noted map[string]bool
	log   *slog.Logger
}

// Candidates merges the sources' versions and filters their files.
func (p *specProvider) Candidates(ctx context.Context, name string) ([]resolver.Candidate, error) {
	var out []resolver.Candidate
	var firstErr error
	var srcs []resolver.Provider
	if p.index != nil {
		srcs = append(srcs, p.index)
	}
	if p.local != nil {
		srcs = append(srcs, p.local)
	}
	for _, src := range srcs {
		cs, err := src.Candidates(ctx, name)
		if err != nil {
			if !errors.Is(err, errs.ErrNotFound) {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out = mergeVersions(out, cs)
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	wheelOK, sdistOK := p.spec.Binary.Allowed(name)
	allowed := p.spec.Hashes[name]
	for i := range out {
		var keep []resolver.File
		for _, f := range out[i].Files {
			if (f.Sdist && sdistOK) || (!f.Sdist && wheelOK) {
				keep = append(keep, f)
			}
		}
		if len(keep) < len(out[i].Files) {
			out[i].LeftOut = "has only sdists, which --only-binary refuses"
			if !wheelOK {
				out[i].LeftOut = "has only wheels, which --no-binary refuses"
			}
		}
		if len(allowed) > 0 {
			var match []resolver.File
			for _, f := range keep {
				if f.SHA256 != "" && hashAllowed(allowed, "sha256", f.SHA256) {
					match = append(match, f)
				}
			}
			if len(match) > 0 {
				keep = match
			}
		}
		if len(keep) < len(out[i].Files) {
			p.note(name, out[i].Version.String(), len(out[i].Files)-len(keep))
		}
		out[i].Files = keep
	}
	return out, nil
}

func (p *specProvider) note(name, version string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := name + " " + version
	if p.noted[key] {
		return
	}
	if p.noted == nil {
		p.noted = map[string]bool{}
	}
	p.noted[key] = true
	p.log.Debug("files left out by --only-binary, --no-binary or --hash", "project", name, "version", version, "files", n)
}

func mergeVersions(into, more []resolver.Candidate) []resolver.Candidate {
	for _, c := range more {
		merged := false
		for i := range into {
			if into[i].Version.String() == c.Version.String() {
				into[i].Files = append(append([]resolver.File(nil), into[i].Files...), c.Files...)
				merged = true
				break
			}
		}
		if !merged {
			into = append(into, c)
		}
	}
	return into
}

func (p *specProvider) source(f resolver.File) resolver.Provider {
	if _, ok := f.Ref.(localFile); ok {
		return p.local
	}
	return p.index
}

// Dependencies asks the source the file came from.
func (p *specProvider) Dependencies(ctx context.Context, c resolver.Candidate, f resolver.File) ([]requirements.Requirement, error) {
	return p.source(f).Dependencies(ctx, c, f)
}

// RequiresPython asks the source the file came from.
func (p *specProvider) RequiresPython(ctx context.Context, c resolver.Candidate, f resolver.File) (string, error) {
	if mp, ok := p.source(f).(resolver.MetadataPython); ok {
		return mp.RequiresPython(ctx, c, f)
	}
	return "", nil
}

// Prefetch passes to the index.
func (p *specProvider) Prefetch(ctx context.Context, names []string) {
	if pf, ok := p.index.(resolver.Prefetcher); ok {
		pf.Prefetch(ctx, names)
	}
}

var (
	_ resolver.Prefetcher     = (*specProvider)(nil)
	_ resolver.MetadataPython = (*specProvider)(nil)
)
