// Package osv holds a local copy of the OSV vulnerability database for PyPI and matches
// projects and versions against it: the check pipeline's vulns step, the
// `vulnerabilities` of the PyPI JSON API and `pydepot osv import` use it. Nothing here
// talks to the network: the database is loaded offline from the OSV dump of the PyPI
// ecosystem (osv-vulnerabilities/PyPI/all.zip: one JSON record per member) or from a
// folder of such records.
//
// A record (the OSV schema, https://ossf.github.io/osv-schema/) is parsed by Parse into
// the Record kept in the database: its id, aliases, summary, details, modified and
// withdrawn times, a severity level and the affected PyPI packages, names normalized
// (PEP 503), each with its ECOSYSTEM ranges and its explicit versions. Entries of other
// ecosystems and ranges of other types (GIT, SEMVER) are dropped: they say nothing a
// PEP 440 version can be matched against.
//
// A version is affected by an entry when the explicit versions list holds it (PEP 440
// equality: "1.0" and "1.0.0" are one version) or when one of its ranges includes it.
// A range's events are sorted in PEP 440 order ("0" first, before every version,
// pre-releases included), never as text, and read as the OSV schema says: the version is
// in the range when the last event at or below it is an introduced, or a last_affected
// equal to it; a limit event ends the range at that version. Pre-releases, post-releases
// and local versions sort where PEP 440 puts them ("2.0rc1" is before a fix in "2.0").
//
// Every input is bounded (Limits): the size of one record, the number of records and the
// total size of a dump; a zip is read through internal/archives, which enforces member
// sizes while inflating. Inside a record the counts of affected entries, ranges, events,
// versions and aliases are capped too, so evaluating a record is linear in its size. An
// invalid record is an error naming the file, and an import that meets one stores
// nothing: every record is parsed before any is written.
package osv
