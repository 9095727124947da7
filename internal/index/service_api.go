package index

import (
	"context"
	"io"
	"time"

	"github.com/pydepot/pydepot/internal/metadata"
)

// Blob is an open file body.
type Blob interface {
	io.ReadSeekCloser
}

// API is what the HTTP layer and the CLI's server side need from the index, by role:
// reading (Reader), changing a repository's content (Changer), administering
// repositories and distributions (Admin) and tokens (Access). *Service implements it;
// a caller or a test fake takes only the roles it uses. Errors wrap the errs
// categories: ErrNotFound for a missing repository, distribution, project or file;
// ErrConflict for a filename already stored with other content or a name taken;
// ErrInvalid for a bad file (naming the problem); ErrTooLarge for caps;
// ErrUnauthorized / ErrForbidden from Authenticate and Authorize.
type API interface {
	Reader
	Changer
	Admin
	Access
	Lifecycle
	Blocklist
	Puller
}

// Puller keeps the pull-through sources of a distribution fresh.
type Puller interface {
	// Freshen refreshes project from the remotes of d's pull-through sources that would
	// serve it, when their TTL has passed, and reports whether a refresh ran (a source's
	// repository may then have a new version: read the distribution's state again). An
	// error wraps ErrUpstream when the upstream failed and nothing is known to serve.
	Freshen(ctx context.Context, d *Distribution, project string) (refreshed bool, err error)
}

// Blocklist keeps each repository's blocklist, which Apply enforces on every add.
type Blocklist interface {
	// Block adds a rule (see ParseBlockRule; ErrInvalid naming the problem, ErrConflict
	// when present); Unblock removes one (ErrNotFound when absent).
	Block(ctx context.Context, repo, rule string) (*BlockRule, error)
	Unblock(ctx context.Context, repo, rule string) error
	BlockRules(ctx context.Context, repo string) ([]BlockRule, error)
	// Blocked reports the rule of repo's blocklist that refuses a file, if any.
	Blocked(ctx context.Context, repo, project, version, filename string) (rule string, blocked bool, err error)
}

// Reader reads repositories, distributions and what a distribution serves.
type Reader interface {
	Repository(ctx context.Context, name string) (*Repository, error)
	Repositories(ctx context.Context) ([]Repository, error)
	Versions(ctx context.Context, repo string) ([]RepositoryVersion, error)
	Distribution(ctx context.Context, base string) (*Distribution, error)
	Distributions(ctx context.Context) ([]Distribution, error)

	// Reading through a distribution (the version it serves).
	// Projects lists the projects and returns the highest serial of the distribution's view.
	Projects(ctx context.Context, d *Distribution) ([]ProjectSummary, int64, error)
	// EachProject calls fn with each project Projects lists, in the same order, without
	// holding the list (for a plain distribution); it stops at fn's first error and
	// returns it.
	EachProject(ctx context.Context, d *Distribution, fn func(ProjectSummary) error) error
	// LastSerial returns the serial Projects returns, cheaply for a plain distribution.
	LastSerial(ctx context.Context, d *Distribution) (int64, error)
	// Project returns a project by normalized name.
	Project(ctx context.Context, d *Distribution, name string) (*Project, error)
	// ProjectPage is Project with, in each file, only what a simple page shows: Filename,
	// Version, SHA256, Size, UploadTime, RequiresPython, MetadataSHA256, Yanked,
	// YankReason (a merged view's has them all).
	ProjectPage(ctx context.Context, d *Distribution, name string) (*Project, error)
	// File finds a file of the served version by filename.
	File(ctx context.Context, d *Distribution, filename string) (*File, error)
	// OpenFile opens a file of the served version by filename, or its core metadata file
	// for "<filename>.metadata": the one function file serving goes through. With
	// redirect > 0 a blob store that serves its blobs itself gives a URL instead.
	OpenFile(ctx context.Context, d *Distribution, name string, redirect time.Duration) (*OpenedFile, error)
	// OpenBlob opens stored bytes by sha256 (file bodies and metadata files).
	OpenBlob(ctx context.Context, sha256 string) (Blob, int64, error)
	// CoreMetadata returns the parsed core metadata file with that sha256 (a
	// File.MetadataSHA256), parsed once at upload; ErrNotFound when there is none.
	CoreMetadata(ctx context.Context, metadataSHA256 string) (*metadata.Metadata, error)
	// ImportCandidates lists the projects (normalized) of the distribution whose files
	// provide the import name module: see ImportMatch.
	ImportCandidates(ctx context.Context, d *Distribution, module string) ([]string, error)
	// ImportMatch finds the longest dotted prefix of module (walt.client.cli,
	// walt.client, walt) that files of the distribution record as an import name and
	// returns it with the projects (normalized, sorted) whose files record it; "" and
	// none when no prefix is recorded. A module name over 8 components is invalid.
	ImportMatch(ctx context.Context, d *Distribution, module string) (match string, projects []string, err error)
}

// Changer changes the content of a repository; each change makes a new repository
// version.
type Changer interface {
	// Upload stores a file. It returns existed=true (and no new version) when the
	// identical file is already there; a removed or rolled-back file uploaded with its own
	// bytes is restored in a new version (existed=false). Conflicts: other bytes under a
	// used filename (ErrFilenameReused once the file is gone), and a second file of one
	// release for the same tags (ErrDuplicateFile).
	Upload(ctx context.Context, up Upload) (f *File, existed bool, err error)
	// Yank marks every file of project==version yanked with reason; Unyank clears it.
	Yank(ctx context.Context, repo, project, version, reason string) error
	Unyank(ctx context.Context, repo, project, version string) error
	// YankRelease yanks project==version (every PEP 440-equal spelling); reason nil keeps
	// the reason of a release already yanked. UnyankRelease clears the yank. Both say
	// what they did, and make no version when the release already is in that state
	// (YankResult.Changed == 0). ErrNotFound when the release has no files.
	YankRelease(ctx context.Context, repo, project, version string, reason *string) (*YankResult, error)
	UnyankRelease(ctx context.Context, repo, project, version string) (*YankResult, error)
	// SetProjectStatus gives a project the PEP 792 status (with a reason, "" for none)
	// in a new version of repo; none is made when it already has them. The status is
	// repo's own, as the display name is. ErrInvalid for an unknown status.
	SetProjectStatus(ctx context.Context, repo, project, status, reason string) (*StatusResult, error)
	// Remove removes one file (filename != "") or every file of a version.
	Remove(ctx context.Context, repo, project, version, filename string) error

	// Rollback makes a new version whose content equals version to (none when to is the
	// latest).
	Rollback(ctx context.Context, repo string, to int) (*RepositoryVersion, error)
}

// Admin creates repositories and manages the distributions that serve them.
type Admin interface {
	CreateRepository(ctx context.Context, name, description string) (*Repository, error)

	// Distributions. CreateDistribution and UpdateDistribution act as the server itself
	// (in-process callers); the As forms act for a token, which must be admin on the
	// repositories concerned, including those of distributions nested under or above the
	// base path (ErrForbidden). Base paths refused by CheckBasePath wrap ErrInvalid.
	CreateDistribution(ctx context.Context, d Distribution) (*Distribution, error)
	CreateDistributionAs(ctx context.Context, by *Token, d Distribution) (*Distribution, error)
	// UpdateDistribution repoints base (promotion), pins/unpins, or changes visibility.
	UpdateDistribution(ctx context.Context, base string, d Distribution) (*Distribution, error)
	UpdateDistributionAs(ctx context.Context, by *Token, base string, d Distribution) (*Distribution, error)
	DeleteDistribution(ctx context.Context, base string) error
}

// Access manages API tokens and authenticates them.
type Access interface {
	// Bootstrap creates the admin token on first start: plaintext if given, else a new
	// random one, which it returns (""  when tokens already exist).
	Bootstrap(ctx context.Context, plaintext string) (string, error)
	CreateToken(ctx context.Context, name string, scope Scope, repo string) (string, *Token, error)
	// Authenticate returns the token for plaintext, comparing hashes in constant time;
	// unknown tokens wrap errs.ErrUnauthorized.
	Authenticate(ctx context.Context, plaintext string) (*Token, error)
	Tokens(ctx context.Context) ([]Token, error)
	RevokeToken(ctx context.Context, id int64) error
}

// Lifecycle compares repository versions and reclaims old ones (see lifecycle.go).
type Lifecycle interface {
	// Diff says what changed from version a to version b of repo.
	Diff(ctx context.Context, repo string, a, b int) (*VersionDiff, error)
	// Retain reclaims the versions of repo that opt does not keep.
	Retain(ctx context.Context, repo string, opt RetainOptions) (*RetainReport, error)
	// ChangedSince lists the projects of the version d serves changed after a serial.
	ChangedSince(ctx context.Context, d *Distribution, since int64) ([]ChangedProject, error)
}
