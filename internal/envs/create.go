package envs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/atomicfile"

	"golang.org/x/sync/errgroup"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/envrun"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/httpclient"
	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/pylock"
	"github.com/pydepot/pydepot/internal/resolver"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/versions"
)

// DefaultIndexURL is used when neither --index-url, the spec nor PYDEPOT_URL gives one.
const DefaultIndexURL = "http://127.0.0.1:8080/simple/"

// BuildPrefix is the directory a packed environment claims to have been built in (see
// envrun.Manifest.Prefix).
const BuildPrefix = "/pydepot-build/env"

// Options configure Create.
type Options struct {
	// IndexURLs are simple API roots given by the user (--index-url); they replace the
	// spec's --index-url. nil = the spec's, else DefaultIndex. A requirements.txt's
	// --extra-index-url values come after them; its --no-index leaves no index.
	IndexURLs []string
	// DefaultIndex is the index used when neither IndexURLs nor the spec gives one;
	// "" = DefaultIndexURL.
	DefaultIndex string
	Python       string // "3.11" or "3.11.7": find such an interpreter
	Interpreter  string // an interpreter path (wins over Python)
	Discovery    interpreters.Options
	Format       Format // "" = Gzip, or the one NAME's extension names
	NoPack       bool   // leave OutDir/NAME as a directory, pack nothing
	OutDir       string // where NAME.tar.gz (or NAME/) goes; "" = the current folder
	CacheDir     string // "" = envrun.DefaultCacheDir(nil)
	HTTPClient   *http.Client
	Index        simpleindex.Options // credentials, caps; its Logger defaults to Log
	Jobs         int                 // parallel downloads and installs; 0 = 8
	NoReuse      bool                // do not reuse an earlier tarball with the same lock
	Log          *slog.Logger
}

// Result describes a created environment.
type Result struct {
	Output      string // the tarball, or the directory with NoPack
	Interpreter *interpreters.Interpreter
	Lock        *pylock.Lock
	LockDigest  string
	Pins        []resolver.Pin
	Reused      bool // the tarball was copied from an earlier identical build
	Downloaded  int  // files fetched from the index (not already cached)
	Built       int  // sdists built
	Size        int64
	Elapsed     time.Duration
}

// Create builds the environment NAME for spec, as described in the package
// documentation. NAME may carry its extension (env.tar.gz, env.tgz, env.tar.zst), which
// then chooses the format and names the output exactly. Errors: no matching interpreter
// wraps errs.ErrNotFound; an unsatisfiable spec is a *resolver.ConflictError
// (errs.ErrConflict); an existing NAME directory with NoPack wraps errs.ErrConflict; bad
// input, a file that does not match its hash, and a NAME whose extension contradicts
// Format wrap errs.ErrInvalid.
func Create(ctx context.Context, spec *Spec, name string, o Options) (*Result, error) {
	start := time.Now()
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	name, ext, err := splitName(name, &o)
	if err != nil {
		return nil, err
	}
	if o.Jobs <= 0 {
		o.Jobs = 8
	}
	if o.CacheDir == "" {
		o.CacheDir = envrun.DefaultCacheDir(nil)
	}
	if o.Discovery.CacheDir == "" {
		o.Discovery.CacheDir = filepath.Join(o.CacheDir, "interpreters")
	}
	outDir, err := filepath.Abs(o.OutDir)
	if err != nil {
		return nil, err
	}
	final := filepath.Join(outDir, name+ext)
	if o.NoPack {
		final = filepath.Join(outDir, name)
		if _, err := os.Stat(final); err == nil {
			return nil, fmt.Errorf("%s already exists; remove it or choose another name: %w", final, errs.ErrConflict)
		}
	}
	sp := *spec // mapModules fills Requirements: the caller's spec stays as it was
	spec = &sp
	for _, n := range spec.Notes {
		log.Warn(n, "spec", spec.Source)
	}

	in, err := chooseInterpreter(ctx, spec, o)
	if err != nil {
		return nil, err
	}
	log.Info("interpreter", "python", in.Version, "path", in.Path)

	urls := indexURLs(spec, o)
	iopts := o.Index
	if iopts.Logger == nil {
		iopts.Logger = log
	}
	hc := httpclient.OrNew(o.HTTPClient)
	var client *simpleindex.Client
	if len(urls) > 0 {
		if client, err = simpleindex.New(urls, hc, iopts); err != nil {
			return nil, err
		}
	}
	b := &creator{o: o, in: in, client: client, cache: fileCache{o.CacheDir}, log: log, spec: spec, hc: hc, urls: urls}
	if err := b.sources(ctx); err != nil {
		return nil, err
	}

	var res *resolver.Result
	var lock *pylock.Lock
	if spec.Lock != nil {
		if res, err = b.fromLock(spec.Lock); err != nil {
			return nil, err
		}
		b.markLockYanked(ctx, res)
		lock = spec.Lock
	} else {
		if err := b.mapModules(ctx); err != nil {
			return nil, err
		}
		if res, err = b.resolve(ctx); err != nil {
			return nil, err
		}
		if err := b.checkHashMode(res); err != nil {
			return nil, err
		}
		if lock, err = lockFor(res, in); err != nil {
			return nil, err
		}
	}
	b.warnYanked(res)
	lockBytes, err := pylock.Marshal(lock)
	if err != nil {
		return nil, err
	}
	lockDigest, err := lock.Digest()
	if err != nil {
		return nil, err
	}
	log.Info("resolved", "packages", len(res.Pins), "lock", lockDigest[:12])
	r := &Result{Interpreter: in, Lock: lock, LockDigest: lockDigest, Pins: res.Pins, Output: final}

	key := buildKey(lockDigest, in, o.Format)
	cached := filepath.Join(o.CacheDir, "builds", key+o.Format.Ext())
	if !o.NoPack && !o.NoReuse {
		if st, err := os.Stat(cached); err == nil {
			if err := atomicfile.Copy(cached, final, 0o644); err != nil {
				return nil, fmt.Errorf("copy the cached build: %w", err)
			}
			r.Reused, r.Size, r.Elapsed = true, st.Size(), time.Since(start)
			log.Info("reused an identical earlier build", "output", final)
			return r, nil
		}
	}

	// Build the tree: next to the output for NoPack (renamed at the end), else in the cache.
	workParent := outDir
	if !o.NoPack {
		workParent = filepath.Join(o.CacheDir, "work")
	}
	if err := os.MkdirAll(workParent, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(workParent, "."+name+".build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	// The prefix recorded in the manifest: the final directory for NoPack; for a tarball a
	// fixed placeholder (run replaces it with the unpack directory), so that the bytes do
	// not depend on the temporary build directory.
	envDir := BuildPrefix
	if o.NoPack {
		envDir = final
	}

	var bundled *interpreters.Bundled
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		bundled, err = interpreters.Bundle(gctx, in, work)
		return err
	})
	var wheels []string
	g.Go(func() error {
		var err error
		wheels, err = b.fetchAll(gctx, res.Pins, r)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := b.installAll(ctx, wheels, res, bundled); err != nil {
		return nil, err
	}
	if err := writePipLaunchers(bundled.BinDir, in.MajorMinor()); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(work, "pylock.toml"), lockBytes, 0o644); err != nil {
		return nil, err
	}
	rel := func(p string) string { r, _ := filepath.Rel(work, p); return filepath.ToSlash(r) }
	reloc, err := filesNaming(work, work, bundled.BinDir, bundled.SitePackages)
	if err != nil {
		return nil, err
	}
	m := envrun.Manifest{Format: 1, Prefix: envDir, Python: rel(bundled.Python), Version: in.Version,
		SitePackages: rel(bundled.SitePackages), Lock: lockDigest}
	for _, p := range reloc {
		m.Relocate = append(m.Relocate, rel(p))
		if err := replaceIn(p, work, envDir); err != nil {
			return nil, err
		}
	}
	if err := envrun.WriteManifest(work, m); err != nil {
		return nil, err
	}
	if err := interpreters.SetTimes(ctx, work); err != nil {
		return nil, err
	}

	if o.NoPack {
		if err := interpreters.LinkWrappers(bundled.BinDir); err != nil {
			return nil, err
		}
		if err := os.Chmod(work, 0o755); err != nil { // MkdirTemp made it 0700
			return nil, err
		}
		if err := os.Rename(work, final); err != nil {
			return nil, err
		}
		r.Elapsed = time.Since(start)
		log.Info("created", "dir", final, "elapsed", r.Elapsed.Round(time.Millisecond))
		return r, nil
	}
	size, err := packTo(ctx, work, final, o.Format)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err == nil {
		if err := linkOrCopy(final, cached); err != nil {
			log.Warn("could not keep the build in the cache", "err", err)
		}
	}
	r.Size, r.Elapsed = size, time.Since(start)
	log.Info("created", "output", final, "size", size, "elapsed", r.Elapsed.Round(time.Millisecond))
	return r, nil
}

// packTo packs dir into out through a temporary file and a rename.
func packTo(ctx context.Context, dir, out string, f Format) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	if err := Pack(ctx, dir, tmp, f); err != nil {
		tmp.Close()
		return 0, err
	}
	st, err := tmp.Stat()
	if err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	return st.Size(), os.Rename(tmp.Name(), out)
}

// buildKey identifies a packed build: lock, interpreter, format and pydepot version.
func buildKey(lockDigest string, in *interpreters.Interpreter, f Format) string {
	var exe string
	if st, err := os.Stat(in.RealPath); err == nil {
		exe = fmt.Sprintf("%d-%d", st.Size(), st.ModTime().UnixNano())
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%s\x00%s\x00%s", lockDigest, in.RealPath, exe, in.Version, f, buildinfo.Version))
	return hex.EncodeToString(sum[:])
}

func chooseInterpreter(ctx context.Context, spec *Spec, o Options) (*interpreters.Interpreter, error) {
	var in *interpreters.Interpreter
	var err error
	switch {
	case o.Interpreter != "":
		in, err = interpreters.QueryCached(ctx, o.Interpreter, o.Discovery.CacheDir)
	case o.Python != "":
		in, err = interpreters.Find(ctx, o.Python, o.Discovery)
	case spec.Python != "":
		in, err = interpreters.Find(ctx, spec.Python, o.Discovery)
	case len(spec.RequiresPython) > 0:
		for _, c := range interpreters.Discover(ctx, o.Discovery) {
			if v, perr := versions.Parse(c.Version); perr == nil && spec.RequiresPython.Contains(v, true) {
				return c, nil
			}
		}
		return nil, fmt.Errorf("no interpreter on this machine satisfies requires-python %s; use --python or --interpreter: %w", spec.RequiresPython, errs.ErrNotFound)
	default:
		in, err = interpreters.Find(ctx, "", o.Discovery)
	}
	if err != nil {
		return nil, err
	}
	if len(spec.RequiresPython) > 0 {
		if v, perr := versions.Parse(in.Version); perr == nil && !spec.RequiresPython.Contains(v, true) {
			return nil, fmt.Errorf("interpreter %s does not satisfy requires-python %s: %w", in, spec.RequiresPython, errs.ErrInvalid)
		}
	}
	return in, nil
}

// filesNaming lists the regular files under the given directories that contain prefix.
func filesNaming(prefix string, dirs ...string) ([]string, error) {
	var out []string
	needle := []byte(prefix)
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() {
				return err
			}
			info, err := e.Info()
			if err != nil || info.Size() > 8<<20 {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.Contains(data, needle) && !bytes.HasPrefix(data, []byte("\x7fELF")) && !slices.Contains(out, p) {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func replaceIn(p, old, new string) error {
	if old == new {
		return nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	return os.WriteFile(p, bytes.ReplaceAll(data, []byte(old), []byte(new)), st.Mode().Perm())
}

// splitName checks NAME and strips a tarball extension from it, setting o.Format from it
// (an explicit different o.Format is an error). It returns the bare name and the
// extension the output file gets.
func splitName(name string, o *Options) (string, string, error) {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return "", "", fmt.Errorf("environment name %q: use a plain file name: %w", name, errs.ErrInvalid)
	}
	low := strings.ToLower(name)
	for _, e := range []struct {
		ext string
		f   Format
	}{{".tar.gz", Gzip}, {".tgz", Gzip}, {".tar.zst", Zstd}, {".tar.zstd", Zstd}} {
		if !strings.HasSuffix(low, e.ext) {
			continue
		}
		if len(name) == len(e.ext) {
			return "", "", fmt.Errorf("environment name %q is only an extension: give a name (myenv%s): %w", name, e.ext, errs.ErrInvalid)
		}
		if o.NoPack {
			return "", "", fmt.Errorf("environment name %q ends in %s, but --no-pack makes a folder, not a tarball: %w", name, e.ext, errs.ErrInvalid)
		}
		if o.Format != "" && o.Format != e.f {
			return "", "", fmt.Errorf("environment name %q asks for %s, but the format is %s: %w", name, e.ext, o.Format, errs.ErrInvalid)
		}
		o.Format = e.f
		return name[:len(name)-len(e.ext)], name[len(name)-len(e.ext):], nil
	}
	for _, ext := range []string{".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip"} {
		if strings.HasSuffix(low, ext) {
			return "", "", fmt.Errorf("environment name %q ends in %s: pydepot packs .tar.gz (or .tgz) and .tar.zst: %w", name, ext, errs.ErrInvalid)
		}
	}
	if o.Format == "" {
		o.Format = Gzip
	}
	return name, o.Format.Ext(), nil
}

// indexURLs is the list of indexes of a create: the user's (or the spec's --index-url,
// or the default), then the spec's extra indexes; none with --no-index.
func indexURLs(spec *Spec, o Options) []string {
	if spec.NoIndex {
		return nil
	}
	urls := o.IndexURLs
	if len(urls) == 0 && spec.IndexURL != "" {
		urls = []string{spec.IndexURL}
	}
	if len(urls) == 0 {
		def := o.DefaultIndex
		if def == "" {
			def = DefaultIndexURL
		}
		urls = []string{def}
	}
	out := slices.Clone(urls)
	for _, u := range spec.ExtraIndexURLs {
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}
