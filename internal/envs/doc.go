// Package envs builds relocatable Python environments: the engine of `pydepot create`.
//
// Create reads a SPEC (the JSON written by pydepot analyze or cctools, a requirements.txt
// with its index, hash and binary options, a PEP 621 or poetry pyproject.toml, or a
// pylock.toml installed exactly; see ReadSpec), chooses an interpreter found on this
// machine (internal/interpreters), maps a cctools "modules" list to distributions as
// analyze does (the target's standard library dropped), resolves the requirements
// against the indexes and --find-links folders for that interpreter's wheel tags and
// marker environment (internal/resolver over internal/simpleindex; an sdist whose
// PKG-INFO cannot be trusted gets its dependencies from builder.Metadata), downloads the
// chosen files in parallel into a content-addressed cache shared by every create
// (CacheDir/wheels/sha256/aa/<digest>, verified while streaming, and checked against the
// spec's --hash values or the lock's hashes), warns about yanked pins, builds an sdist
// with internal/builder when no wheel fits (the built wheel is cached by the sdist's
// digest and the interpreter), installs every wheel with internal/installer, writes
// bin/pip launchers that refuse (the environment is its lock), bundles the interpreter
// (interpreters.Bundle), writes pylock.toml (internal/pylock) and .pydepot/env.json
// (envrun.Manifest), and packs NAME.tar.gz or NAME.tar.zst with Pack.
//
// Packing is reproducible (see Pack): the same lock and interpreter give the same bytes.
// A build is also remembered under CacheDir/builds/<key><ext>, the key being the sha256
// of the lock digest, the interpreter (real path and version), the format and the
// pydepot version; a later create whose key matches copies that tarball instead of
// installing anything.
package envs
