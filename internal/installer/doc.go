// Package installer installs a wheel into a directory layout, following the binary
// distribution format specification (PEP 427 and its successors on packaging.python.org).
//
// Install opens the wheel only through internal/archives (so the archive safety rules
// apply: no path escapes, no links, size caps) and then:
//
//   - checks WHEEL: Wheel-Version must be 1.x (a newer minor version is logged as a
//     warning), Root-Is-Purelib chooses purelib or platlib for the root;
//   - checks every member against RECORD: sha256 (urlsafe base64, no padding) and size.
//     A member missing from RECORD, a RECORD entry missing from the wheel, a wrong hash
//     or a wrong size are all errors wrapping errs.ErrInvalid. RECORD itself and its
//     signatures (RECORD.jws, RECORD.p7s) are the only members that need no hash;
//   - moves NAME-VERSION.data/{purelib,platlib,scripts,data,headers} to the Scheme's
//     directories (headers go to Scheme.Headers/<project name>, as pip does); a script
//     whose first line is "#!python" or "#!pythonw" gets the launcher shebang;
//   - writes console_scripts and gui_scripts from entry_points.txt as launcher scripts;
//   - writes INSTALLER ("pydepot"), REQUESTED when Options.Requested, and a new RECORD
//     listing every installed file with its hash and size, paths relative to the
//     directory holding the .dist-info (scripts as "../../../bin/x" in a venv scheme).
//
// # Shebangs
//
// By default launchers are relocatable: they use the pip trick
//
//	#!/bin/sh
//	'''exec' "$(dirname -- "$(realpath -- "$0")")"/python3 "$0" "$@"
//	' '''
//
// which /bin/sh runs as "exec <dir of the script>/python3 script args" and Python reads
// as a string literal. Options.Interpreter changes the name ("python3.11"), or, when it is
// an absolute path, writes a plain "#!/abs/python" line instead.
//
// # Atomicity and concurrency
//
// The wheel is extracted and verified in a staging directory created inside
// Scheme.Purelib (same file system), so a tampered wheel fails before anything reaches the
// layout, and the staging directory is removed. Only then are files renamed into place,
// one by one, the .dist-info directory last: an error during that final phase (a full disk,
// a permission error) may leave some package files in place but never a .dist-info, so
// the distribution is not seen as installed. Existing files are replaced atomically
// (rename). Several Install calls may run concurrently into one prefix as long as the
// wheels hold distinct files (namespace package directories may be shared).
//
// InstallAll runs several Install calls in parallel (bounded) and stops at the first error.
//
// Byte-compiling is not done; the interpreter writes __pycache__ lazily.
//
// # API
//
//	Install(ctx, wheelPath, scheme, opts) (*Result, error)
//	InstallAll(ctx, []Job{{Wheel, Options}}, scheme, parallel) ([]*Result, error)
//	VenvScheme(prefix, "3.11") Scheme   // prefix/lib/python3.11/site-packages, prefix/bin, ...
//	TargetScheme(dir) Scheme            // pip install --target dir (build environments)
//	ParseRecord(data) ([]RecordEntry, error)
//
// # What a refused wheel leaves behind
//
// A wheel refused for its content (bad WHEEL, RECORD mismatch, unlisted or missing file,
// bad entry point, unknown .data directory) leaves no file: only the scheme directories
// that were created empty (site-packages). A crash of the process during Install may
// leave a ".pydepot-install-*" staging directory in Scheme.Purelib; nothing imports it,
// and it can be removed. An I/O error while files are being renamed into place (the last
// phase) may leave some package files without a .dist-info.
package installer
