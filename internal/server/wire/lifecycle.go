package wire

// DiffFile is a file added or removed between two repository versions.
type DiffFile struct {
	Filename string `json:"filename"`
	Project  string `json:"project"`
	Version  string `json:"version"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
}

// YankChange is a file both versions hold with another yank state.
type YankChange struct {
	Filename  string `json:"filename"`
	Project   string `json:"project"`
	Version   string `json:"version"`
	WasYanked bool   `json:"was_yanked"`
	WasReason string `json:"was_reason,omitempty"`
	Yanked    bool   `json:"yanked"`
	Reason    string `json:"reason,omitempty"`
}

// Attributes are what a version says about a project besides its files.
type Attributes struct {
	DisplayName  string `json:"display_name"`
	Status       string `json:"status"`
	StatusReason string `json:"status_reason,omitempty"`
}

// AttributeChange is a project whose attributes differ between the two versions.
type AttributeChange struct {
	Project string     `json:"project"`
	Before  Attributes `json:"before"`
	After   Attributes `json:"after"`
}

// VersionDiff answers GET /api/repositories/{name}/diff?from=A&to=B: what changed from
// version A to version B (added: in B and not A).
type VersionDiff struct {
	Repository string            `json:"repository"`
	From       int               `json:"from"`
	To         int               `json:"to"`
	Added      []DiffFile        `json:"added"`
	Removed    []DiffFile        `json:"removed"`
	Yanks      []YankChange      `json:"yanks"`
	Attributes []AttributeChange `json:"attributes"`
}

// Retain is the body of POST /api/repositories/{name}/retain.
type Retain struct {
	Keep   int  `json:"keep"`
	DryRun bool `json:"dry_run,omitempty"`
}

// RetainReport answers it: the versions kept (pinned among them) and reclaimed, the
// file rows forgotten and the blobs nothing references any more (gc frees them).
type RetainReport struct {
	Repository string   `json:"repository"`
	Latest     int      `json:"latest"`
	DryRun     bool     `json:"dry_run"`
	Kept       []int    `json:"kept"`
	Pinned     []int    `json:"pinned"`
	Removed    []int    `json:"removed"`
	Files      int      `json:"files"`
	FileBytes  int64    `json:"file_bytes"`
	Examples   []string `json:"examples"`
	Blobs      int      `json:"blobs"`
	BlobBytes  int64    `json:"blob_bytes"`
}
