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
}

// Options configures a Client. The zero value is usable.
type Options struct {
	Logger *slog.Logger
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
	// TempDir is where Metadata spools a distribution file when no PEP 658 metadata exists
	// ("" = os.TempDir()).
	TempDir string
}
