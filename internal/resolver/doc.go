// Package resolver chooses one version (and one file) of every distribution needed to
// satisfy a set of PEP 508 requirements for a given target, with a PubGrub-style
// conflict-driven solver: every conflict is turned into a learned incompatibility, and
// the solver jumps back to the decision that caused it (so an early choice is undone
// when a later conflict needs it). When no solution exists, the error explains the chain
// of causes in words ("Because app 1.0 requires lib<2 and lib<2 needs Python >=3.12 but
// the target is 3.11, app 1.0 cannot be used. ...").
//
// Rules applied (pip's):
//   - PEP 440 specifiers; pre-releases only when Request.Prereleases is set, when the
//     requirement names a pre-release, or when only pre-releases satisfy it.
//   - PEP 508 markers are evaluated in Request.Env; extras become virtual packages
//     "name[extra]" that pin name to the same version.
//   - A file whose requires-python excludes Request.Python is skipped; a version with no
//     usable file is unavailable (and the explanation says why).
//   - Yanked files (PEP 592) are skipped unless the root requirements or constraints pin
//     that version exactly with == or ===.
//   - Wheels must be supported by Request.Target (tags.Target.Rank; the best-ranked wheel
//     wins); an sdist is accepted when no wheel fits (Pin.File.Sdist tells the caller to
//     build it), unless Request.NoSdist.
//   - The newest acceptable version is tried first.
//
// Use:
//
//	p := resolver.NewIndexProvider(client, logger) // over a simpleindex.Client
//	res, err := resolver.Resolve(ctx, p, resolver.Request{Requirements: reqs, Env: env,
//	    Python: versions.MustParse("3.11.7"), Target: &target})
//	for _, pin := range res.Pins { ... pin.Name, pin.Version, pin.File.URL, pin.File.SHA256 ... }
//
// Optional Provider capabilities, found by type assertion: Prefetcher (fetch the pages of
// a version's dependencies concurrently; IndexProvider does, 8 at a time) and
// MetadataPython (Requires-Python from the metadata when the index gave none for the
// file). A Provider may return *UnusableError from Dependencies to skip one version
// (IndexProvider does for metadata that cannot be parsed).
//
// The result lists one Pin per distribution, sorted by name, with the chosen file (URL,
// sha256, size, Sdist), the extras asked of it and the names of the pins it depends on:
// what a PEP 751 pylock.toml records.
//
// Errors: an unsatisfiable request returns a *ConflictError (errors.As) wrapping
// errs.ErrConflict; a requirement that cannot be parsed or a direct URL requirement wraps
// errs.ErrInvalid; provider errors (network, not found) are returned wrapped as they are,
// except that a project missing from the index (errs.ErrNotFound): when the request names
// it, Resolve returns a *MissingError ("requests is not on http://host/simple/", with the
// provider's Location when it is a Locator), not a conflict; deeper down it is a line of
// the conflict's explanation ("app 1.0 requires ghost>=1, but ghost is not on ...").
//
// Explanations: the dependencies of consecutive versions that say the same thing are
// merged into one incompatibility over all those versions (as pubgrub-rs does), so an
// explanation says "lib>=1.4 requires dep>=2" once rather than once per release.
package resolver
