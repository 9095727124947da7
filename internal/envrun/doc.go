// Package envrun runs a command inside a packed pydepot environment: the engine of
// `pydepot run`.
//
// The environment is a tarball (NAME.tar.gz or NAME.tar.zst), a name (NAME.tar.gz or
// NAME.tar.zst in the current folder) or a directory (used in place). A tarball is
// unpacked once per content digest into CacheDir/envs/<sha256>, or into Options.UnpackDir
// (the -u flag). Concurrent runs on one machine unpack once: a lock file beside the
// target (flock(2), waited for up to Options.Wait) serialises them, and the archive is
// extracted into a temporary directory beside the target that is renamed into place only
// once complete, so a target is never seen half-made. A file .pydepot/unpacked inside the
// target records the digest it holds. The digest of a tarball is remembered per (device,
// inode, size, mtime) under CacheDir/envs/keys (so hard and symbolic links to one cached
// copy, as Work Queue makes in each task sandbox, count as the same tarball), so a later run does not hash the tarball
// again: the overhead of a run on an unpacked environment is a few stats and one exec.
//
// Extraction goes through internal/archives (safe names, no links) and is capped while it
// streams, gzip and zstd alike: Options.Limits (total bytes, number of entries) and a
// compression ratio (see DefaultMaxSize, DefaultMaxFiles). What a killed unpack left (its
// .unpack-* folder) is removed by a later run once no live run holds that target's lock;
// lock files are removed when a run is done with them (a run that locked a file since
// removed starts again on the new one).
//
// Trust: the cache root, envs/, envs/keys/, every target and every lock must belong to
// the effective user and not be writable by others, and every folder above them must
// belong to the user or root and not be writable by others unless sticky (secure.go).
// Without HOME and XDG_CACHE_HOME the cache is os.TempDir()/pydepot-<uid>, created 0700.
// A remembered digest is reused only when the file's ctime is the recorded one, or, after
// a ctime change (a new hard link, a rewrite), when its first and last 64 KiB still match.
//
// Relocation: every file's mtime is set back to interpreters.Epoch (the time recorded in
// the packed bytecode), and the text files that .pydepot/env.json lists as naming the
// build directory get that directory replaced by the new location.
//
// Activation sets PATH=ENV/bin:$PATH, VIRTUAL_ENV=ENV and PYTHONNOUSERSITE=1, and
// removes PYTHONPATH and PYTHONHOME. No LD_LIBRARY_PATH is needed: the bundled
// interpreter finds its libpython through a $ORIGIN-relative RUNPATH (see
// internal/interpreters).
//
// Exit status: Run returns the command's own status (128+N when it was killed by signal
// N, 127 when the command is not found). Its own failures are *Error values whose Code
// is ExitMissing (2: the environment does not exist), ExitExtract (3: it could not be
// unpacked, including a lock not obtained in time) or ExitActivate (4: the unpacked
// tree is not an environment); the CLI uses ExitUsage (1) for bad arguments.
package envrun
