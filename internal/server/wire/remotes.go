package wire

import "time"

// Remote is one remote as the API shows it: its secrets are never sent back, only
// whether they are set.
type Remote struct {
	Name             string    `json:"name"`
	URL              string    `json:"url"`
	Includes         []string  `json:"includes,omitempty"`
	Excludes         []string  `json:"excludes,omitempty"`
	Prereleases      bool      `json:"prereleases"`
	PackageTypes     []string  `json:"package_types,omitempty"`
	Platforms        []string  `json:"platforms,omitempty"`
	Pythons          []string  `json:"pythons,omitempty"`
	KeepLatest       int       `json:"keep_latest"`
	Policy           string    `json:"policy"`
	WithDependencies bool      `json:"with_dependencies"`
	Username         string    `json:"username,omitempty"`
	HasPassword      bool      `json:"has_password,omitempty"`
	HasToken         bool      `json:"has_token,omitempty"`
	Proxy            string    `json:"proxy,omitempty"` // without its credentials
	HasCACert        bool      `json:"has_ca_cert,omitempty"`
	Insecure         bool      `json:"insecure,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// RemoteChange is the body of POST /api/remotes (Name and URL required; the rest
// defaults) and of PATCH /api/remotes/{name} (nil leaves a setting as it is; Name is
// not used). CACert is the PEM text, not a path: the file is read by the client.
type RemoteChange struct {
	Name             string    `json:"name,omitempty"`
	URL              *string   `json:"url,omitempty"`
	Includes         *[]string `json:"includes,omitempty"`
	Excludes         *[]string `json:"excludes,omitempty"`
	Prereleases      *bool     `json:"prereleases,omitempty"`
	PackageTypes     *[]string `json:"package_types,omitempty"`
	Platforms        *[]string `json:"platforms,omitempty"`
	Pythons          *[]string `json:"pythons,omitempty"`
	KeepLatest       *int      `json:"keep_latest,omitempty"`
	Policy           *string   `json:"policy,omitempty"`
	WithDependencies *bool     `json:"with_dependencies,omitempty"`
	Username         *string   `json:"username,omitempty"`
	Password         *string   `json:"password,omitempty"`
	Token            *string   `json:"token,omitempty"`
	Proxy            *string   `json:"proxy,omitempty"`
	CACert           *string   `json:"ca_cert,omitempty"`
	Insecure         *bool     `json:"insecure,omitempty"`
}

// SyncRequest is the body of POST /api/repositories/{name}/sync.
type SyncRequest struct {
	Remote       string `json:"remote"`
	Mirror       bool   `json:"mirror,omitempty"`
	SkipBadFiles bool   `json:"skip_bad_files,omitempty"`
}

// SyncStarted answers POST /api/repositories/{name}/sync: the task running the sync
// (202), or, on a server without a task queue, the finished sync's Result (200).
type SyncStarted struct {
	Task   int64       `json:"task,omitempty"`
	Result *SyncResult `json:"result,omitempty"`
}

// SyncResult is what a sync did (also the result of a "sync" task).
type SyncResult struct {
	Repository   string        `json:"repository"`
	Remote       string        `json:"remote"`
	Version      int           `json:"version"` // the version made, 0 when nothing changed
	Added        int           `json:"added"`
	Removed      int           `json:"removed"`
	Changed      int           `json:"changed"`
	Failed       []SyncFailure `json:"failed"` // the first 1,000
	Skipped      []SyncFailure `json:"skipped,omitempty"`
	FailedTotal  int           `json:"failed_total"`
	SkippedTotal int           `json:"skipped_total,omitempty"`
	Projects     int           `json:"projects"`
	NotModified  int           `json:"not_modified"`
	Downloaded   int           `json:"downloaded"`
	Reused       int           `json:"reused"`
	Bytes        int64         `json:"bytes"`
}

// SyncFailure is a file a sync did not store, and why.
type SyncFailure struct {
	Project  string `json:"project,omitempty"`
	Filename string `json:"filename,omitempty"`
	Error    string `json:"error"`
}
