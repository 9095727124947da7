package simpleindex

import (
	"io"
	"log/slog"
	"time"
)

// Accept is the Accept header Project sends.
const Accept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"

// File is one distribution file listed on a project page.
type File struct {
	Filename string
	URL      string            // absolute, fragment removed
	Hashes   map[string]string // algorithm -> lower-case hex digest ("sha256" when the index gives it)
	// RequiresPython is the data-requires-python / requires-python value, "" when absent.
	RequiresPython string
	Yanked         bool
	YankedReason   string
	// CoreMetadata reports that a PEP 658/714 metadata file exists at URL+".metadata";
	// CoreMetadataHashes holds its digests (may be empty even when CoreMetadata is true).
	CoreMetadata       bool
	CoreMetadataHashes map[string]string
	Size               int64     // -1 when the index does not say
	UploadTime         time.Time // zero when the index does not say
	Index              string    // the base URL this file was listed by
}

// SHA256 returns the file's sha256 digest, "" when the index gave none.
func (f File) SHA256() string { return f.Hashes["sha256"] }

// ProjectPage is a parsed project page (merged over all base URLs by Client.Project).
type ProjectPage struct {
	Name       string   // the name as the index gives it ("" for HTML pages without a title)
	APIVersion string   // meta.api-version ("1.0" for HTML)
	Versions   []string // PEP 700 versions list, when given
	Files      []File
	// ETag and LastModified are the page's validators, as the server sent them ("" when
	// it sent none), for ProjectIfChanged.
	ETag, LastModified string
	// Serial is the project's last serial: the X-PyPI-Last-Serial header, else the JSON
	// meta "_last-serial", else an HTML "<!--SERIAL n-->" comment (PyPI's); 0 when none.
	Serial int64
}

// Options configures a Client. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// Username and Password, when Username is set, are sent as HTTP Basic credentials
	// to every base URL host without userinfo (before Token, which is then ignored).
	Username, Password string
	// Token is sent as HTTP Basic "__token__:<Token>" to every base URL without userinfo.
	Token string
	// NetrcPath is a netrc file consulted for hosts without other credentials ("" = none).
	NetrcPath string
	// UserAgent overrides the default "pydepot/VERSION". Every request also carries
	// X-Pydepot-Version, as the CLI's requests do.
	UserAgent string
	// Warnings receives the one-time warning that a pydepot index runs another version
	// than this client; nil logs it on Logger instead.
	Warnings io.Writer
	// MaxPageSize caps a project page body (default 64 MiB).
	MaxPageSize int64
	// MaxMetadataSize caps a metadata file (default 16 MiB).
	MaxMetadataSize int64
	// MaxFileSize caps a downloaded distribution file (default 8 GiB).
	MaxFileSize int64
	// CacheDir, when set, keeps project pages that came with an ETag and revalidates
	// them with If-None-Match (a 304 reuses the stored page).
	CacheDir string
	// Retry is how the calls made for sync (ProjectIfChanged, ProjectList, Fetch) retry;
	// the zero value means DefaultRetry. Project, Metadata and Download do not retry.
	Retry RetryPolicy
	// MinRate and RateWindow bound a slow upstream in the calls made for sync: an answer
	// whose headers take longer than HeaderTimeout, or whose body brings fewer than
	// MinRate×RateWindow bytes in any RateWindow, is abandoned (and retried). Defaults:
	// 1 KiB/s over 30 s, headers in 2 min.
	MinRate       int64 // bytes per second
	RateWindow    time.Duration
	HeaderTimeout time.Duration
	// MaxListSize caps the body of the project list (default 1 GiB), MaxProjects the names
	// in it (default 2,000,000) and MaxNameLength each name (default 512 bytes).
	MaxListSize   int64
	MaxProjects   int
	MaxNameLength int
	// OnRetry, when set, is told of each retry of a sync call (what, the attempt that
	// failed, its error, and the wait before the next), e.g. for a task's log.
	OnRetry func(what string, attempt int, err error, wait time.Duration)
	// TempDir is where Metadata spools a distribution file when no PEP 658 metadata exists
	// ("" = os.TempDir()).
	TempDir string
}
