package envs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/pydepot/pydepot/internal/atomicfile"
	"github.com/pydepot/pydepot/internal/builder"
	"github.com/pydepot/pydepot/internal/installer"
	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/resolver"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/versions"
)

// creator holds what one Create needs across its steps.
type creator struct {
	o      Options
	in     *interpreters.Interpreter
	client *simpleindex.Client // nil with --no-index
	cache  fileCache
	log    *slog.Logger
	spec   *Spec
	hc     *http.Client
	urls   []string

	envProvider, buildProvider resolver.Provider
	// allowed maps a pinned name to the digests its file must match ("alg:hex"): the
	// --hash values in hash-checking mode, or a lock's hashes.
	allowed map[string][]string
}

func (c *creator) request(reqs, constraints []requirements.Requirement, pre, noSdist bool) resolver.Request {
	pyv, _ := versions.Parse(c.in.Version)
	return resolver.Request{Requirements: reqs, Constraints: constraints, Env: c.in.Markers, Python: pyv,
		Target: &c.in.Target, Prereleases: pre, NoSdist: noSdist, Logger: c.log}
}

// sources sets up the providers: the index (with sdist metadata through the PEP 517
// hook) and the --find-links folders; the environment's applies the spec's file filters,
// the build requirements' does not.
func (c *creator) sources(ctx context.Context) error {
	var index resolver.Provider
	if c.client != nil {
		ip := resolver.NewIndexProvider(c.client, c.log)
		ip.SdistMetadata = c.indexSdistMetadata
		index = ip
	}
	var local *localDirs
	if len(c.spec.FindLinks) > 0 {
		var err error
		if local, err = newLocalDirs(ctx, c.spec.FindLinks, c.log); err != nil {
			return err
		}
		local.sdistMetadata = func(ctx context.Context, path string) ([]byte, error) {
			digest, _, err := hashFile(path)
			if err != nil {
				return nil, err
			}
			return c.sdistMetadata(ctx, path, filepath.Base(path), digest)
		}
	}
	dir := filepath.Join(c.o.CacheDir, "metadata")
	c.envProvider = depsCache{Provider: &specProvider{index: index, local: local, spec: c.spec, log: c.log}, dir: dir}
	c.buildProvider = depsCache{Provider: &specProvider{index: index, local: local, spec: &Spec{}, log: c.log}, dir: dir}
	c.allowed = c.spec.Hashes
	return nil
}

func (c *creator) resolve(ctx context.Context) (*resolver.Result, error) {
	return resolver.Resolve(ctx, c.envProvider, c.request(c.spec.Requirements, c.spec.Constraints, c.spec.Pre, false))
}

// indexSdistMetadata is resolver.IndexProvider.SdistMetadata: it fetches the sdist into
// the cache and asks its build backend.
func (c *creator) indexSdistMetadata(ctx context.Context, sf simpleindex.File) ([]byte, error) {
	f := resolver.File{Filename: sf.Filename, URL: sf.URL, SHA256: sf.SHA256(), Size: sf.Size, Sdist: true, Ref: sf}
	path, digest, _, err := c.cache.fetch(ctx, c.client, f)
	if err != nil {
		return nil, err
	}
	return c.sdistMetadata(ctx, path, sf.Filename, digest)
}

// sdistMetadata returns the core metadata the sdist's backend gives
// (builder.Metadata), cached by the sdist's digest and the interpreter.
func (c *creator) sdistMetadata(ctx context.Context, sdist, filename, digest string) ([]byte, error) {
	sum := sha256.Sum256([]byte(digest + "\x00" + c.in.RealPath + "\x00" + c.in.Version))
	cached := filepath.Join(c.o.CacheDir, "metadata", "built", hex.EncodeToString(sum[:16])+".METADATA")
	if data, err := os.ReadFile(cached); err == nil {
		return data, nil
	}
	work, err := c.workDir("meta-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	named := filepath.Join(work, filename) // the builder reads the format from the name
	if err := linkOrCopy(sdist, named); err != nil {
		return nil, err
	}
	c.log.Info("reading the dependencies of an sdist from its build backend (its PKG-INFO may not list them)", "sdist", filename)
	data, err := builder.Metadata(ctx, named, builder.Options{
		Interpreter: c.in.RealPath, InstallRequirements: c.installBuildRequirements,
		Log: c.log, WorkDir: filepath.Join(c.o.CacheDir, "work"), ExtraEnv: []string{"SOURCE_DATE_EPOCH=946684800"},
	})
	if err != nil {
		return nil, err
	}
	_ = atomicfile.WriteFile(cached, data, 0o644) // best effort: a cache
	return data, nil
}

func (c *creator) workDir(prefix string) (string, error) {
	workRoot := filepath.Join(c.o.CacheDir, "work")
	if err := os.MkdirAll(workRoot, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(workRoot, prefix)
}

// fetchAll downloads every pinned file (bounded parallelism) and builds the sdists;
// it returns one wheel path per pin, in pin order.
func (c *creator) fetchAll(ctx context.Context, pins []resolver.Pin, r *Result) ([]string, error) {
	wheels := make([]string, len(pins))
	var downloaded, built atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.o.Jobs)
	for i, p := range pins {
		g.Go(func() error {
			path, digest, hit, err := c.cache.fetch(gctx, c.client, p.File)
			if err != nil {
				return err
			}
			if !hit {
				downloaded.Add(1)
			}
			if allowed, ok := c.allowed[p.Name]; ok {
				if err := checkHashes(path, p.File.Filename, digest, allowed, c.hashSource(p.Name)); err != nil {
					return err
				}
			}
			if p.File.Sdist {
				w, fresh, err := c.buildSdist(gctx, path, digest, p.File.Filename)
				if err != nil {
					return fmt.Errorf("build %s %s from %s: %w", p.Name, p.Version, p.File.Filename, err)
				}
				if fresh {
					built.Add(1)
				}
				path = w
			}
			wheels[i] = path
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	r.Downloaded, r.Built = int(downloaded.Load()), int(built.Load())
	c.log.Info("fetched", "files", len(pins), "downloaded", r.Downloaded, "built", r.Built)
	return wheels, nil
}

// buildSdist returns a wheel built from the sdist, from the cache when an earlier create
// built it for the same interpreter.
func (c *creator) buildSdist(ctx context.Context, sdist, digest, filename string) (string, bool, error) {
	sum := sha256.Sum256([]byte(digest + "\x00" + c.in.RealPath + "\x00" + c.in.Version))
	dir := filepath.Join(c.o.CacheDir, "built", hex.EncodeToString(sum[:16]))
	if ws, _ := filepath.Glob(filepath.Join(dir, "*.whl")); len(ws) == 1 {
		return ws[0], false, nil
	}
	workRoot := filepath.Join(c.o.CacheDir, "work")
	if err := os.MkdirAll(workRoot, 0o755); err != nil {
		return "", false, err
	}
	work, err := os.MkdirTemp(workRoot, "sdist-")
	if err != nil {
		return "", false, err
	}
	defer os.RemoveAll(work)
	named := filepath.Join(work, filename) // the builder reads the format from the name
	if err := linkOrCopy(sdist, named); err != nil {
		return "", false, err
	}
	out := filepath.Join(work, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", false, err
	}
	c.log.Info("building", "sdist", filename)
	whl, err := builder.Build(ctx, named, out, builder.Options{
		Interpreter: c.in.RealPath, InstallRequirements: c.installBuildRequirements,
		Log: c.log, WorkDir: workRoot, ExtraEnv: []string{"SOURCE_DATE_EPOCH=946684800"},
	})
	if err != nil {
		return "", false, err
	}
	tmp := filepath.Join(work, "cache-entry")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", false, err
	}
	if err := os.Rename(whl, filepath.Join(tmp, filepath.Base(whl))); err != nil {
		return "", false, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", false, err
	}
	if err := os.Rename(tmp, dir); err != nil && !os.IsExist(err) && !strings.Contains(err.Error(), "not empty") {
		return "", false, err
	}
	ws, _ := filepath.Glob(filepath.Join(dir, "*.whl"))
	if len(ws) != 1 {
		return "", false, fmt.Errorf("build cache %s holds %d wheels", dir, len(ws))
	}
	return ws[0], true, nil
}

// installBuildRequirements resolves build requirements (wheels only, so building never
// recurses) and installs them into targetDir.
func (c *creator) installBuildRequirements(ctx context.Context, reqs []string, targetDir string) error {
	var parsed []requirements.Requirement
	for _, s := range reqs {
		r, err := requirements.Parse(s)
		if err != nil {
			return fmt.Errorf("build requirement %q: %w", s, err)
		}
		parsed = append(parsed, r)
	}
	res, err := resolver.Resolve(ctx, c.buildProvider, c.request(parsed, nil, false, true))
	if err != nil {
		return fmt.Errorf("resolve build requirements %s: %w", strings.Join(reqs, ", "), err)
	}
	scheme := installer.TargetScheme(targetDir)
	for _, p := range res.Pins {
		path, _, _, err := c.cache.fetch(ctx, c.client, p.File)
		if err != nil {
			return err
		}
		if _, err := installer.Install(ctx, path, scheme, installer.Options{Log: c.log}); err != nil {
			return fmt.Errorf("install build requirement %s: %w", p.Name, err)
		}
	}
	return nil
}

// installAll installs the wheels into the bundled environment.
func (c *creator) installAll(ctx context.Context, wheels []string, res *resolver.Result, b *interpreters.Bundled) error {
	scheme := installer.Scheme{
		Purelib: b.SitePackages, Platlib: b.SitePackages, Scripts: b.BinDir, Data: b.Dir,
		Headers: filepath.Join(b.Dir, "include", "site", "python"+c.in.MajorMinor()),
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(min(c.o.Jobs, 4))
	for i, w := range wheels {
		pin := res.Pins[i]
		g.Go(func() error {
			_, err := installer.Install(gctx, w, scheme, installer.Options{
				Requested: slices.Contains(res.Roots, pin.Name), Log: c.log})
			if err != nil {
				return fmt.Errorf("install %s %s: %w", pin.Name, pin.Version, err)
			}
			return nil
		})
	}
	return g.Wait()
}
