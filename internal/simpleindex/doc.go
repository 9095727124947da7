// Package simpleindex is a client for any PEP 691 (JSON) / PEP 503 (HTML) simple
// repository index, pydepot's own first.
//
// A Client is built with New(baseURLs, httpClient, opts) where each base URL is the
// "simple" root (e.g. "http://127.0.0.1:8080/main/simple/"). Credentials come, in this
// order, from the URL's userinfo, Options.Token (sent as Basic "__token__:<token>"; the
// CLI fills it from PYDEPOT_TOKEN, see OptionsFromEnv), then the netrc file
// (Options.NetrcPath, default ~/.netrc via OptionsFromEnv).
//
//	c, err := simpleindex.New([]string{url}, hc, simpleindex.OptionsFromEnv(logger))
//	page, err := c.Project(ctx, "Jinja2")   // merged over every base URL, newest served first
//	meta, err := c.Metadata(ctx, page.Files[0]) // PEP 658 <url>.metadata, else from the file itself
//	err = c.Download(ctx, page.Files[0], w)     // verifies sha256 (and size) after streaming
//
// Project asks for "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2,
// text/html;q=0.1" and parses whichever content type the server answers (ParseJSON,
// ParseHTML). File URLs are resolved against the page URL; the "#sha256=" fragment of
// an HTML link becomes a hash. When several base URLs are given, the files of all of
// them are merged; a filename seen on an earlier index wins.
//
// Project pages are cached in memory for the Client's lifetime (one resolve) and, with
// Options.CacheDir, on disk with their ETag, revalidated by If-None-Match. Package
// indextest serves real files as such an index for tests.
//
// # For sync
//
// A remote is read through a Client over its one URL (and, for a proxy, a CA file or
// --insecure, an http.Client from httpclient.NewWith; Options.Username/Password or Token
// for its credentials). Those calls retry (Options.Retry: 5xx, 429 with Retry-After,
// resets, timeouts, bodies cut short, jittered exponential backoff within a time budget)
// and abandon an upstream slower than Options.MinRate; Project, Metadata and Download do
// not, for their current callers.
//
//	n, err := c.ProjectListEntries(ctx, func(e simpleindex.ListEntry) error { ... }) // streamed, bounded memory
//	page, notModified, err := c.ProjectIfChanged(ctx, name, etag, lastModified)     // 304 -> notModified
//	path, err := c.Fetch(ctx, page.Files[0], dir)                                    // a verified temp file under dir
//
// ProjectPage carries ETag, LastModified and Serial (X-PyPI-Last-Serial, the JSON
// "_last-serial" or PyPI's HTML SERIAL comment); File carries the digests (the hashes, or
// the "#sha256=" fragment), size and upload time (PEP 700, JSON only), yank state and
// reason, requires-python and the PEP 658/714 metadata hashes (core-metadata, else the
// older dist-info-metadata; data-core-metadata, else data-dist-info-metadata in HTML).
// Package faultyindex is an upstream that fails on demand, for the tests of all this.
//
// Errors: a project missing from every index wraps errs.ErrNotFound; 401 wraps
// errs.ErrUnauthorized, 403 errs.ErrForbidden; malformed pages wrap errs.ErrInvalid; a
// hash mismatch wraps errs.ErrInvalid and names both digests; a body over the caps wraps
// errs.ErrTooLarge; any other status is an *HTTPError (Temporary says whether the sync
// calls retry it).
package simpleindex
