// Package pylock reads and writes PEP 751 lock files (pylock.toml).
//
// Lock is the model; field names follow the specification (lock-version, environments,
// requires-python, extras, dependency-groups, default-groups, created-by, [[packages]]
// with name, version, marker, requires-python, dependencies, index, sdist, wheels,
// attestation-identities, tool). Marshal writes canonical bytes: packages sorted by
// normalized name then version string, wheels by name, dependencies by name then
// version, hash algorithms and tool keys alphabetically, keys in the order of the
// specification, strings escaped one way. The same lock therefore always gives the same
// bytes, and Digest (sha256 of those bytes) identifies a lock, so an environment build
// whose lock digest matches an earlier one can reuse the earlier result.
//
// Parse accepts any valid TOML (inline or standard tables) and checks the fields with
// Validate: lock-version must be 1.x, created-by set, every package named, every file
// (sdist, wheel) carrying at least one hash and a url or path. Errors wrap errs.ErrInvalid.
package pylock
