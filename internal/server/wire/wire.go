// Package wire holds the JSON shapes of pydepot's management API (/api/), shared by the
// server that writes them and the client that reads them. It is a leaf: it imports no
// domain package, so that the client does not drag the index (and SQLite) in; the server
// converts from the index types (internal/server/convert.go).
package wire

import (
	"encoding/json"
	"time"

	"github.com/pydepot/pydepot/internal/buildinfo"
)

// VersionHeader carries the pydepot version of the sender on every request and response.
const VersionHeader = buildinfo.VersionHeader

// Error is the body of every JSON error response.
type Error struct {
	Status int    `json:"status"`
	Error  string `json:"error"`
}

// Version is GET /api/version.
type Version struct {
	Version string `json:"version"`
}

// Repository is one repository.
type Repository struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Latest      int       `json:"latest_version"`
	CreatedAt   time.Time `json:"created_at"`
	// CheckOnUpload queues a check of every file uploaded (see checks.go).
	CheckOnUpload bool `json:"check_on_upload"`
}

// RepositoryCreate is the body of POST /api/repositories.
type RepositoryCreate struct {
	Name          string `json:"name"`
	Description   string `json:"description,omitempty"`
	CheckOnUpload bool   `json:"check_on_upload,omitempty"`
}

// RepositoryVersion is one immutable repository version.
type RepositoryVersion struct {
	Repository string    `json:"repository"`
	Number     int       `json:"number"`
	CreatedAt  time.Time `json:"created_at"`
	Message    string    `json:"message,omitempty"`
	Files      int       `json:"files"`
}

// Project is one project of a repository (GET /api/repositories/{name}/projects).
type Project struct {
	Name        string `json:"name"`         // PEP 503 normalized
	DisplayName string `json:"display_name"` // as its metadata writes it
}

// Rollback is the body of POST /api/repositories/{name}/rollback.
type Rollback struct {
	To int `json:"to"`
}

// Distribution is a base path serving a repository.
type Distribution struct {
	BasePath   string    `json:"base_path"`
	Repository string    `json:"repository"`
	Pinned     *int      `json:"pinned_version"` // null serves the latest version
	Public     bool      `json:"public"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	// RequireChecks serves only files whose latest check verdict is pass (quarantine).
	RequireChecks bool `json:"require_checks"`
	// Sources, when set, make a merged view: the sources in order, the first being
	// Repository and Pinned (Repository may then be left out). AllowShadow lists the
	// projects whose files are merged across sources instead of hidden in later ones.
	Sources     []Source `json:"sources,omitempty"`
	AllowShadow []string `json:"allow_shadow,omitempty"`
}

// Source is one source of a merged view: a repository, optionally pinned, or filled on
// request from the remote PullThrough and refreshed after TTLSeconds.
type Source struct {
	Repository  string `json:"repository"`
	Pinned      *int   `json:"pinned_version,omitempty"`
	PullThrough string `json:"pull_through,omitempty"`
	TTLSeconds  int64  `json:"ttl_seconds,omitempty"`
}

// DistributionUpdate is the body of PATCH /api/distributions/{base}: absent fields keep
// their value; Unpin serves the latest version again.
type DistributionUpdate struct {
	Repository *string `json:"repository,omitempty"`
	Pinned     *int    `json:"pinned_version,omitempty"`
	Unpin      bool    `json:"unpin,omitempty"`
	Public     *bool   `json:"public,omitempty"`
	// RequireChecks turns quarantine on or off.
	RequireChecks *bool `json:"require_checks,omitempty"`
	// Sources replaces a merged view's sources ([] serves Repository alone);
	// AllowShadow replaces its allow-shadow list.
	Sources     *[]Source `json:"sources,omitempty"`
	AllowShadow *[]string `json:"allow_shadow,omitempty"`
}

// Yank is the body of POST .../yank. Reason absent (or no body) keeps the reason of a
// release already yanked; "reason": "" sets an empty one.
type Yank struct {
	Reason *string `json:"reason,omitempty"`
}

// YankResult answers POST .../yank and .../unyank: the release's state now and how many
// of its files changed (0: it already was in that state, and no version was made).
type YankResult struct {
	Repository        string `json:"repository"`
	Project           string `json:"project"`
	Version           string `json:"version"`
	Yanked            bool   `json:"yanked"`
	Reason            string `json:"reason,omitempty"`
	Files             int    `json:"files"`
	Changed           int    `json:"changed"`
	RepositoryVersion int    `json:"repository_version"`
}

// ProjectStatus is the body of PUT .../projects/{project}/status: a PEP 792 status
// (active, archived, quarantined, deprecated) and an optional reason.
type ProjectStatus struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// StatusResult answers PUT .../status: the project's status now, and whether it changed
// (false: it already had it, and no version was made).
type StatusResult struct {
	Repository        string `json:"repository"`
	Project           string `json:"project"`
	Status            string `json:"status"`
	Reason            string `json:"reason,omitempty"`
	Changed           bool   `json:"changed"`
	RepositoryVersion int    `json:"repository_version"`
}

// Token is an API token as listed (never with its secret).
type Token struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Scope      string    `json:"scope"`
	Repository string    `json:"repository,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// TokenCreate is the body of POST /api/tokens.
type TokenCreate struct {
	Name       string `json:"name"`
	Scope      string `json:"scope"`
	Repository string `json:"repository,omitempty"`
}

// TokenCreated answers POST /api/tokens: the secret, shown this once.
type TokenCreated struct {
	Token  string `json:"token"`
	Stored Token  `json:"stored"`
}

// ImportCandidates answers GET /api/imports/{module}.
type ImportCandidates struct {
	Module string `json:"module"`
	// Match is the longest dotted prefix of Module that the projects record
	// (walt.client for walt.client.cli); "" when there are none.
	Match        string   `json:"match"`
	Distribution string   `json:"distribution"`
	Projects     []string `json:"projects"`
}

// UnmarshalJSON also reads a bare list of project names, which other indexes answer.
func (c *ImportCandidates) UnmarshalJSON(b []byte) error {
	var list []string
	if json.Unmarshal(b, &list) == nil {
		*c = ImportCandidates{Projects: list}
		return nil
	}
	type plain ImportCandidates
	return json.Unmarshal(b, (*plain)(c))
}

// UploadResult answers an upload through /api/repositories/{name}/upload.
type UploadResult struct {
	Filename string `json:"filename"`
	Project  string `json:"project"`
	Version  string `json:"version"`
	SHA256   string `json:"sha256"`
	Existed  bool   `json:"existed"`
	// RepositoryVersion is the repository version the upload made; 0 (left out) when
	// the identical file was there and nothing changed.
	RepositoryVersion int `json:"repository_version,omitempty"`
}

// Headers of every successful upload response (the legacy API's too, whose body
// twine and pip ignore): what the index's Upload did, so that a client need not
// guess it from the repository's versions.
const (
	UploadExistedHeader     = "X-Pydepot-Upload-Existed"     // "true" or "false"
	RepositoryVersionHeader = "X-Pydepot-Repository-Version" // the version made; absent when none
)

// BlockRule is one rule of a repository's blocklist; POST .../blocklist takes {"rule"}.
type BlockRule struct {
	Repository string    `json:"repository,omitempty"`
	Rule       string    `json:"rule"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
}
