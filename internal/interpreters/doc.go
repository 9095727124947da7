// Package interpreters finds the Python interpreters installed on this machine, asks each
// what it is (version, paths, platform, PEP 508 marker environment, wheel tag target),
// and bundles one into an environment directory so that the environment runs without the
// machine that built it.
//
// Discovery looks, in order, at the directories on PATH, at $PYENV_ROOT/versions/*/bin
// (default /root/.pyenv) and at /usr/bin and /usr/local/bin, for executables named
// python3 and python3.N. pyenv shims are skipped (they are shell scripts that pick another
// interpreter). Candidates are deduplicated by their real path.
//
// # Bundling
//
// Bundle copies the interpreter binary to ENV/bin/pythonX.Y and its standard library to
// ENV/lib/pythonX.Y (without site-packages, dist-packages, the test suite, the static
// library directory config-*, optimized .opt-N.pyc files and Debian's EXTERNALLY-MANAGED
// marker); lib-dynload comes with it. Symbolic links are copied as the files they point
// to, so the environment holds regular files and directories only (which is all the safe
// archive reader accepts). ENV/bin/python3 and ENV/bin/python are two-line /bin/sh
// wrappers that exec pythonX.Y.
//
// A statically linked interpreter (Debian's /usr/bin/python3.11) needs nothing more: it
// finds its prefix through the landmark ENV/lib/pythonX.Y/os.py. A shared build (pyenv)
// links libpythonX.Y.so through an absolute RUNPATH; Bundle copies that library to
// ENV/lib and rewrites the RUNPATH (or RPATH) of every copied ELF file that points at the
// old library directory to a $ORIGIN-relative one, in place in .dynstr (the new string is
// never longer than an absolute path; it is NUL-padded). So no LD_LIBRARY_PATH is needed
// at activation, and running the bundled python3 directly works too.
//
// ELF files that carry debug sections (pyenv builds do: libpython3.11.so is 23 MB with
// them, 4 MB without) are stripped of them with binutils' `strip --strip-debug` when it
// is installed; symbols are kept.
//
// No pyvenv.cfg is written: the bundled interpreter is the environment's base
// interpreter, sys.prefix is ENV, and packages go to the site directory the interpreter
// itself reads (ENV/lib/pythonX.Y/site-packages, or dist-packages for Debian's build);
// Bundled.SitePackages names it.
//
// Every file's mtime is set to Epoch, and the timestamp .pyc files of the standard
// library are rewritten to record that mtime, so the cached bytecode stays valid in the
// packed, reproducible tarball (whose members all carry Epoch) once the unpacker restores
// it (see SetTimes).
package interpreters
