package envs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

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
	client *simpleindex.Client
	cache  fileCache
	log    *slog.Logger
}

func (c *creator) request(reqs, constraints []requirements.Requirement, pre, noSdist bool) resolver.Request {
	pyv, _ := versions.Parse(c.in.Version)
	return resolver.Request{Requirements: reqs, Constraints: constraints, Env: c.in.Markers, Python: pyv,
		Target: &c.in.Target, Prereleases: pre, NoSdist: noSdist, Logger: c.log}
}

func (c *creator) provider() resolver.Provider {
	return depsCache{Provider: resolver.NewIndexProvider(c.client, c.log), dir: filepath.Join(c.o.CacheDir, "metadata")}
}

func (c *creator) resolve(ctx context.Context, spec *Spec) (*resolver.Result, error) {
	p := c.provider()
	return resolver.Resolve(ctx, p, c.request(spec.Requirements, spec.Constraints, spec.Pre, false))
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
	res, err := resolver.Resolve(ctx, c.provider(), c.request(parsed, nil, false, true))
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
