// Package checkrun is the pipeline of a check (issue 10): it implements
// checkreport.Runner by running a check's steps on internal/taskgraph.
//
// Before the graph, Check copies the file (Input.Open, capped) into Input.Dir, inspects
// it (internal/inspect: name, version, metadata, import names), unpacks it through
// internal/archives and finds the interpreter of the target Python by version
// (Config.Interpreter, internal/interpreters by default). A file that cannot be read so
// far is an error, not a report.
//
// The steps, with the names of the report:
//
//   - resolve: the only step with index access, run on the host before any sandbox. It
//     resolves the file's dependencies for the target (internal/resolver over
//     Config.Source: a Provider and a fetch of files, IndexSource for a simple index),
//     the build requirements of an sdist ([build-system] requires, plus wheel when the
//     index has it, since setuptools asks for it), and the optional test tools pytest and
//     coverage, and downloads every chosen wheel into the wheelhouse (Input.Dir/wheelhouse).
//     Dependencies must be wheels (an sdist among them would need a build of its own).
//   - build: an sdist into a wheel through internal/builder (PEP 517), whose hook
//     processes run in the sandbox under tracing, with the wheelhouse as the only source
//     of build requirements (installed on the host by internal/installer, which runs no
//     package code). A wheel skips it (status skipped, its wheel handed on).
//   - install: a fresh environment (a venv layout made in Go: pyvenv.cfg and a link to
//     the interpreter) into which internal/installer installs the wheel and its
//     dependencies; then the environment's interpreter starts in the sandbox under tracing
//     and byte-compiles it, which runs the .pth files a wheel may carry (the only code a
//     wheel runs at install time). An installed .pth is a finding.
//   - import: every top-level module the wheel provides, imported in the sandbox under
//     tracing.
//   - test: the sdist's tests, in the sandbox under tracing: pytest when the wheelhouse
//     has it, unittest discovery otherwise; passed, failed and errors are counted, and
//     coverage's line coverage of the package's modules is taken when the wheelhouse has
//     coverage. A wheel (no tests) or an sdist without tests skips it.
//   - lint, scan, vulns: Config.Lint, Config.Scan (on the unpacked file) and Config.Vulns
//     (the file's project and version); a nil function leaves the step out.
//   - trace-report: after build, install, import and test (failed or not), every trace
//     they left becomes findings through Config.TraceFindings.
//
// Wire fills a Config with the real pieces: SandboxExec (internal/sandbox), strace in
// front (internal/strace.Command), the trace report and the decoys of
// internal/tracereport; the vulns step plugs in osv.Service.FileFindings.
//
// Sandboxed commands go through Config.Exec, with Config.Trace's command in front; each
// sees the system read-only, its step's own folder writable at /check/work, its trace
// folder at /check/raw, a private HOME at /check/home planted with decoys
// (Config.Decoys), and the environment at /check/env. A command stopped by a limit of
// the sandbox (time, memory, processes, output) is a finding of kind limit. Traces are
// Raw entries of the report.
package checkrun
