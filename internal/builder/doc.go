// Package builder builds a wheel from an sdist through PEP 517, in an isolated build
// environment.
//
// Build:
//
//  1. extracts the sdist through internal/archives (.tar.gz or .zip; the safety rules of
//     that package apply) into a temporary work directory; the source tree is the single
//     top-level directory (name-version/), or the root when there is none;
//  2. reads pyproject.toml [build-system]: build-backend and requires, and backend-path
//     for in-tree backends. Without pyproject.toml or without build-backend it uses
//     setuptools.build_meta:__legacy__ with requires ["setuptools>=40.8.0"] (PEP 517's
//     fallback; "wheel" is added only when the backend asks for it);
//  3. creates the build environment, WORK/env/site, and calls
//     Options.InstallRequirements(ctx, requires, WORK/env/site) so the caller resolves and
//     installs the build requirements there (installer.TargetScheme(dir) is the layout);
//  4. runs the interpreter on an embedded hook script (like pyproject_hooks'
//     _in_process): get_requires_for_build_wheel, installs what it adds through the same
//     callback, then build_wheel. The process runs with cwd = the source tree,
//     PYTHONPATH = WORK/env/hooks:WORK/env/site, PYTHONNOUSERSITE=1, PYTHONHOME unset,
//     and a sitecustomize.py in WORK/env/hooks that drops the interpreter's own
//     site-packages from sys.path (unless Options.SystemSitePackages) and processes .pth
//     files of WORK/env/site. Each hook run is bounded by Options.Timeout;
//  5. moves the built wheel to outDir and returns its path.
//
// API:
//
//	Build(ctx, sdistPath, outDir, Options{Interpreter, InstallRequirements, Runner, Log, Output, Timeout, ...}) (wheelPath, error)
//	BuildTree(ctx, srcDir, outDir, opts) (wheelPath, error)   // an extracted tree
//	ReadBuildSystem(tree) (BuildSystem, error)
//	Runner / RunnerFunc / ExecRunner / Command                  // how the interpreter is run
//
// The tests' InstallRequirements callback installs setuptools and wheel from
// /usr/share/python-wheels (Debian's python3-setuptools-whl and python3-wheel-whl) with
// internal/installer into the target directory, so nothing comes from
// /usr/lib/python3/dist-packages: the build environment really is isolated.
//
// Output of the backend is written to Options.Output; a failing build returns a
// *BuildError carrying the tail of that output. Commands go through Options.Runner, so the
// checks service can run the same steps inside its sandbox.
package builder
