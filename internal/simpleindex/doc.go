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
// Options.CacheDir, on disk with their ETag, revalidated by If-None-Match. Package indextest serves real files as such an index for tests.
//
// Errors: a project missing from every index wraps errs.ErrNotFound; 401 wraps
// errs.ErrUnauthorized, 403 errs.ErrForbidden; malformed pages wrap errs.ErrInvalid; a
// hash mismatch wraps errs.ErrInvalid and names both digests; a body over the caps wraps
// errs.ErrTooLarge.
package simpleindex
