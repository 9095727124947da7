package builder

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/pydepot/pydepot/internal/atomicfile"

	"github.com/pydepot/pydepot/internal/archives"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/inspect"
)

//go:embed hooks/_pydepot_hooks.py hooks/sitecustomize.py
var hookFiles embed.FS

const (
	defaultBackend = "setuptools.build_meta:__legacy__"
	tailSize       = 8 << 10
)

var defaultRequires = []string{"setuptools>=40.8.0"}

func build(ctx context.Context, sdistPath, outDir string, opts Options) (string, error) {
	var whl string
	err := inSdist(ctx, sdistPath, opts, func(work, tree string) error {
		var err error
		whl, err = buildIn(ctx, work, tree, outDir, opts)
		return err
	})
	return whl, err
}

func sdistMetadata(ctx context.Context, sdistPath string, opts Options) ([]byte, error) {
	var md []byte
	err := inSdist(ctx, sdistPath, opts, func(work, tree string) error {
		var err error
		md, err = metadataIn(ctx, work, tree, opts)
		return err
	})
	return md, err
}

// inSdist extracts the sdist into a temporary work directory and calls fn with it and
// the source tree.
func inSdist(ctx context.Context, sdistPath string, opts Options, fn func(work, tree string) error) error {
	work, err := os.MkdirTemp(opts.WorkDir, "pydepot-build-")
	if err != nil {
		return err
	}
	if !opts.KeepWorkDir {
		defer os.RemoveAll(work)
	}
	src := filepath.Join(work, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		return err
	}
	if err := extract(ctx, sdistPath, src); err != nil {
		return fmt.Errorf("sdist %s: %w", filepath.Base(sdistPath), err)
	}
	tree, err := sourceRoot(src)
	if err != nil {
		return fmt.Errorf("sdist %s: %w", filepath.Base(sdistPath), err)
	}
	return fn(work, tree)
}

func buildTree(ctx context.Context, srcDir, outDir string, opts Options) (string, error) {
	work, err := os.MkdirTemp(opts.WorkDir, "pydepot-build-")
	if err != nil {
		return "", err
	}
	if !opts.KeepWorkDir {
		defer os.RemoveAll(work)
	}
	abs, err := filepath.Abs(srcDir)
	if err != nil {
		return "", err
	}
	return buildIn(ctx, work, abs, outDir, opts)
}

// extract unpacks an sdist into dir through internal/archives: a tar.gz in one streaming
// pass, a zip in place.
func extract(ctx context.Context, sdistPath, dir string) error {
	f, err := os.Open(sdistPath)
	if err != nil {
		return err
	}
	defer f.Close()
	name := strings.ToLower(sdistPath)
	switch {
	case strings.HasSuffix(name, ".tar.gz"), strings.HasSuffix(name, ".tgz"):
		return archives.ExtractTarGz(ctx, f, dir, archives.DefaultLimits())
	case strings.HasSuffix(name, ".zip"):
		st, err := f.Stat()
		if err != nil {
			return err
		}
		arc, err := archives.OpenZip(f, st.Size(), archives.DefaultLimits())
		if err != nil {
			return err
		}
		defer arc.Close()
		return arc.Extract(ctx, dir)
	}
	return fmt.Errorf("not an sdist (want .tar.gz or .zip): %w", errs.ErrInvalid)
}

// sourceRoot returns the single top-level directory of an extracted sdist, or dir itself.
func sourceRoot(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	if len(ents) == 1 && ents[0].IsDir() {
		return filepath.Join(dir, ents[0].Name()), nil
	}
	if len(ents) == 0 {
		return "", fmt.Errorf("the archive is empty: %w", errs.ErrInvalid)
	}
	return dir, nil
}

func buildIn(ctx context.Context, work, tree, outDir string, opts Options) (string, error) {
	h, log, err := prepareEnv(ctx, work, tree, &opts)
	if err != nil {
		return "", err
	}
	wheelDir := filepath.Join(work, "wheel")
	var name string
	if err := h.run(ctx, "build_wheel", map[string]any{"wheel_directory": wheelDir}, &name); err != nil {
		return "", err
	}
	if name == "" || name != filepath.Base(name) || !strings.HasSuffix(name, ".whl") {
		return "", fmt.Errorf("build_wheel returned %q, not a wheel file name: %w", name, errs.ErrInvalid)
	}
	built := filepath.Join(wheelDir, name)
	if _, err := os.Stat(built); err != nil {
		return "", fmt.Errorf("build_wheel returned %s but did not write it: %w", name, errs.ErrInvalid)
	}
	dest := filepath.Join(outDir, name)
	if err := moveFile(built, dest); err != nil {
		return "", err
	}
	log.Info("built wheel", "wheel", name)
	return dest, nil
}

// metadataIn runs prepare_metadata_for_build_wheel in a prepared build environment and
// returns the METADATA it wrote; a backend without that hook builds the wheel, whose
// METADATA is returned (PEP 517's fallback).
func metadataIn(ctx context.Context, work, tree string, opts Options) ([]byte, error) {
	h, log, err := prepareEnv(ctx, work, tree, &opts)
	if err != nil {
		return nil, err
	}
	mdDir := filepath.Join(work, "metadata")
	if err := os.MkdirAll(mdDir, 0o755); err != nil {
		return nil, err
	}
	var name *string
	if err := h.run(ctx, "prepare_metadata_for_build_wheel", map[string]any{"metadata_directory": mdDir}, &name); err != nil {
		return nil, err
	}
	if name == nil {
		log.Debug("the backend has no prepare_metadata_for_build_wheel; building the wheel for its metadata")
		wheelDir := filepath.Join(work, "wheel")
		var whl string
		if err := h.run(ctx, "build_wheel", map[string]any{"wheel_directory": wheelDir}, &whl); err != nil {
			return nil, err
		}
		if whl == "" || whl != filepath.Base(whl) || !strings.HasSuffix(whl, ".whl") {
			return nil, fmt.Errorf("build_wheel returned %q, not a wheel file name: %w", whl, errs.ErrInvalid)
		}
		return wheelMetadata(ctx, filepath.Join(wheelDir, whl))
	}
	if *name == "" || *name != filepath.Base(*name) || !strings.HasSuffix(*name, ".dist-info") {
		return nil, fmt.Errorf("prepare_metadata_for_build_wheel returned %q, not a .dist-info folder name: %w", *name, errs.ErrInvalid)
	}
	data, err := readCapped(filepath.Join(mdDir, *name, "METADATA"), maxMetadata)
	if err != nil {
		return nil, fmt.Errorf("prepare_metadata_for_build_wheel wrote %s: %w", *name, err)
	}
	log.Debug("prepared metadata", "dist_info", *name)
	return data, nil
}

// maxMetadata bounds a METADATA file read from a build (as the index bounds uploads).
const maxMetadata = 16 << 20

func readCapped(p string, max int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is over %d bytes: %w", filepath.Base(p), max, errs.ErrTooLarge)
	}
	return data, nil
}

func wheelMetadata(ctx context.Context, whl string) ([]byte, error) {
	f, err := os.Open(whl)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	info, err := inspect.Inspect(ctx, filepath.Base(whl), f, st.Size())
	if err != nil {
		return nil, err
	}
	return info.MetadataBytes, nil
}

// prepareEnv creates the isolated build environment under work, installs the
// build-system requires and what get_requires_for_build_wheel adds, and returns the hook
// runner. It applies the defaults of opts.
func prepareEnv(ctx context.Context, work, tree string, opts *Options) (hookRunner, *slog.Logger, error) {
	if opts.Interpreter == "" {
		opts.Interpreter = "python3"
	}
	if opts.Runner == nil {
		opts.Runner = ExecRunner{}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Minute
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bs, err := ReadBuildSystem(tree)
	if err != nil {
		return hookRunner{}, nil, err
	}
	log.Debug("build system", "backend", bs.Backend, "requires", bs.Requires, "tree", tree)

	env := filepath.Join(work, "env")
	site := filepath.Join(env, "site")
	hooks := filepath.Join(env, "hooks")
	for _, d := range []string{site, hooks, filepath.Join(work, "wheel")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return hookRunner{}, nil, err
		}
	}
	for _, n := range []string{"_pydepot_hooks.py", "sitecustomize.py"} {
		data, _ := hookFiles.ReadFile("hooks/" + n)
		if err := os.WriteFile(filepath.Join(hooks, n), data, 0o644); err != nil {
			return hookRunner{}, nil, err
		}
	}
	installReqs := func(reqs []string) error {
		if len(reqs) == 0 {
			return nil
		}
		if opts.InstallRequirements == nil {
			return fmt.Errorf("build requirements %v but no InstallRequirements callback: %w", reqs, errs.ErrInvalid)
		}
		log.Debug("installing build requirements", "requires", reqs)
		if err := opts.InstallRequirements(ctx, reqs, site); err != nil {
			return fmt.Errorf("installing build requirements %v: %w", reqs, err)
		}
		return nil
	}
	if err := installReqs(bs.Requires); err != nil {
		return hookRunner{}, nil, err
	}
	h := hookRunner{opts: *opts, work: work, tree: tree, site: site, hooks: hooks, bs: bs}
	var more []string
	if err := h.run(ctx, "get_requires_for_build_wheel", nil, &more); err != nil {
		return hookRunner{}, nil, err
	}
	var extra []string
	for _, r := range more {
		if !slices.Contains(bs.Requires, r) {
			extra = append(extra, r)
		}
	}
	if err := installReqs(extra); err != nil {
		return hookRunner{}, nil, err
	}
	return h, log, nil
}

// hookRunner runs the embedded hook script.
type hookRunner struct {
	opts                    Options
	work, tree, site, hooks string
	bs                      BuildSystem
}

func (h hookRunner) run(ctx context.Context, hook string, args map[string]any, out any) error {
	in := map[string]any{"backend": h.bs.Backend, "backend_path": h.bs.BackendPath, "config_settings": h.opts.ConfigSettings}
	for k, v := range args {
		in[k] = v
	}
	inPath := filepath.Join(h.work, hook+".in.json")
	outPath := filepath.Join(h.work, hook+".out.json")
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if err := os.WriteFile(inPath, data, 0o644); err != nil {
		return err
	}
	tail := &tailBuffer{max: tailSize}
	var w io.Writer = tail
	if h.opts.Output != nil {
		w = io.MultiWriter(tail, h.opts.Output)
	}
	isolate := "1"
	if h.opts.SystemSitePackages {
		isolate = "0"
	}
	env := append(cleanEnv(os.Environ()),
		"PYTHONPATH="+h.hooks+string(os.PathListSeparator)+h.site,
		"PYTHONNOUSERSITE=1",
		"_PYDEPOT_BUILD_SITE="+h.site,
		"_PYDEPOT_BUILD_ISOLATE="+isolate,
	)
	env = append(env, h.opts.ExtraEnv...)
	cmd := Command{
		Argv:   []string{h.opts.Interpreter, filepath.Join(h.hooks, "_pydepot_hooks.py"), hook, inPath, outPath},
		Env:    env,
		Dir:    h.tree,
		Stdout: w,
		Stderr: w,
	}
	hctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
	defer cancel()
	runErr := h.opts.Runner.Run(hctx, cmd)
	if runErr != nil {
		if hctx.Err() != nil && ctx.Err() == nil {
			runErr = fmt.Errorf("timed out after %s: %w", h.opts.Timeout, runErr)
		}
		return &BuildError{Hook: hook, Err: runErr, Tail: tail.String()}
	}
	raw, err := os.ReadFile(outPath)
	if err != nil {
		return &BuildError{Hook: hook, Err: fmt.Errorf("no result file: %w", err), Tail: tail.String()}
	}
	var res struct {
		ReturnVal json.RawMessage `json:"return_val"`
		Error     string          `json:"error"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return &BuildError{Hook: hook, Err: fmt.Errorf("unreadable result: %w", err), Tail: tail.String()}
	}
	if res.Error != "" {
		return &BuildError{Hook: hook, Err: errors.New(res.Error), Tail: tail.String()}
	}
	if err := json.Unmarshal(res.ReturnVal, out); err != nil {
		return &BuildError{Hook: hook, Err: fmt.Errorf("unexpected return value %s: %w", res.ReturnVal, err), Tail: tail.String()}
	}
	return nil
}

// cleanEnv drops variables that would break isolation.
func cleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "PYTHONSTARTUP", "PYTHONSAFEPATH",
			"_PYDEPOT_BUILD_SITE", "_PYDEPOT_BUILD_ISOLATE", "PIP_REQUIRE_VIRTUALENV":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if over := t.buf.Len() - 2*t.max; over > 0 {
		b := t.buf.Bytes()[t.buf.Len()-t.max:]
		nb := bytes.Clone(b)
		t.buf.Reset()
		t.buf.Write(nb)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	b := t.buf.Bytes()
	if len(b) > t.max {
		b = b[len(b)-t.max:]
	}
	return string(b)
}

func moveFile(src, dst string) error {
	err := os.Rename(src, dst)
	if err == nil || !errors.Is(err, syscall.EXDEV) {
		return err
	}
	return atomicfile.Copy(src, dst, 0o644)
}
