package checkrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/pydepot/pydepot/internal/builder"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/resolver"
	"github.com/pydepot/pydepot/internal/taskgraph"
	"github.com/pydepot/pydepot/internal/versions"
)

// wheelhouse is what resolve downloaded: sets of wheels, each one resolution.
type wheelhouse struct {
	dir string
	// runtime are the wheels of the file's dependencies.
	runtime []string
	// build are the wheels of an sdist's build requirements, by normalized name, with
	// the names each depends on.
	build map[string]housePin
	// tools are the closures of the optional test tools found ("pytest", "coverage").
	tools map[string][]string
}

type housePin struct {
	path string
	deps []string
}

// Optional tools: resolved when the index has them, never required.
var testTools = []string{"pytest", "coverage"}

// resolve is the only step with index access: it resolves and downloads every wheel the
// later steps need.
func (c *check) resolve(ctx context.Context, d *taskgraph.Data, log io.Writer) error {
	src, err := c.cfg.Source(ctx, c.in.Repository)
	if err != nil {
		return err
	}
	wh := &wheelhouse{dir: filepath.Join(c.dir, "wheelhouse"), build: map[string]housePin{}, tools: map[string][]string{}}
	if err := os.MkdirAll(wh.dir, 0o755); err != nil {
		return err
	}
	py, err := versions.Parse(c.interp.Version)
	if err != nil {
		return fmt.Errorf("interpreter version %q: %w", c.interp.Version, err)
	}
	fetched := map[string]string{} // file name -> path
	solve := func(what string, reqs []requirements.Requirement) (*resolver.Result, error) {
		if len(reqs) == 0 {
			return &resolver.Result{}, nil
		}
		res, err := resolver.Resolve(ctx, src.Provider, resolver.Request{Requirements: reqs, Env: c.interp.Markers,
			Python: py, Target: &c.interp.Target, NoSdist: true, Logger: c.cfg.Logger})
		if err != nil {
			return nil, fmt.Errorf("resolving the %s: %w", what, err)
		}
		for _, p := range res.Pins {
			if _, ok := fetched[p.File.Filename]; ok {
				continue
			}
			if _, err := filenames.Parse(p.File.Filename); err != nil {
				return nil, fmt.Errorf("%s: %w", p.File.Filename, err)
			}
			tmp, err := src.Fetch(ctx, p.File, wh.dir)
			if err != nil {
				return nil, err
			}
			dst := filepath.Join(wh.dir, p.File.Filename)
			if err := os.Rename(tmp, dst); err != nil {
				os.Remove(tmp)
				return nil, err
			}
			fetched[p.File.Filename] = dst
			fmt.Fprintf(log, "%s %s: %s\n", p.Name, p.Version, p.File.Filename)
		}
		return res, nil
	}

	deps, err := c.info.Metadata.Requirements()
	if err != nil {
		return err
	}
	res, err := solve("dependencies", deps)
	if err != nil {
		return err
	}
	for _, p := range res.Pins {
		wh.runtime = append(wh.runtime, fetched[p.File.Filename])
	}

	if c.dist.Kind == filenames.KindSdist {
		bs, err := builder.ReadBuildSystem(c.tree)
		if err != nil {
			return err
		}
		breqs, err := parseAll(bs.Requires)
		if err != nil {
			return fmt.Errorf("[build-system] requires: %w", err)
		}
		// setuptools' get_requires_for_build_wheel asks for wheel: take it when the
		// index has it (the build cannot reach the index later).
		res, err := solve("build requirements with wheel", append(slices.Clone(breqs), requirements.MustParse("wheel")))
		if err != nil {
			fmt.Fprintf(log, "(without wheel: %v)\n", err)
			if res, err = solve("build requirements", breqs); err != nil {
				return err
			}
		}
		for _, p := range res.Pins {
			wh.build[p.Name] = housePin{path: fetched[p.File.Filename], deps: p.Dependencies}
		}
		for _, tool := range testTools {
			res, err := solve(tool, []requirements.Requirement{requirements.MustParse(tool)})
			if err != nil {
				fmt.Fprintf(log, "(no %s: %v)\n", tool, err)
				continue
			}
			for _, p := range res.Pins {
				wh.tools[tool] = append(wh.tools[tool], fetched[p.File.Filename])
			}
		}
	}
	fmt.Fprintf(log, "%d files in the wheelhouse\n", len(fetched))
	taskgraph.Put(d, keyWheelhouse, wh)
	return nil
}

func parseAll(ss []string) ([]requirements.Requirement, error) {
	out := make([]requirements.Requirement, 0, len(ss))
	for _, s := range ss {
		r, err := requirements.Parse(s)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
