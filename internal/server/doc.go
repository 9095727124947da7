// Package server is pydepot's HTTP face: the simple repository API (PEP 503 HTML and PEP
// 691 JSON), content-addressed files, the PyPI JSON API, the legacy upload API that twine
// and poetry use, and the JSON management API under /api/.
//
// Every distribution is reachable under its base path (which may hold slashes, as in
// team/dev); the default distribution "main" is also reachable without one. Handlers
// return errors; one adapter (errors.go) turns the errs categories into HTTP statuses.
// Rendered simple pages are cached per (distribution, repository version, format), so a
// page is rendered once per change of the repository and then served from memory.
package server
