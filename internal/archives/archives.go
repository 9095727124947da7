// Package archives opens distribution archives (wheels and zip sdists as zip, sdists as
// tar.gz) safely. Every rule is enforced here, in one reader, and every caller (upload,
// sync, install, the check sandbox) uses it:
//
//   - a member name must be relative, clean, and stay inside the archive root (no "..",
//     no absolute paths, no drive letters, no backslashes, no NUL);
//   - symbolic links, hard links, devices and FIFOs are rejected;
//   - the number of members, each member's size, the total uncompressed size and the
//     compression ratio are capped by Limits; sizes are enforced while reading, not trusted
//     from headers;
//   - duplicate member names are rejected.
//
// Violations wrap errs.ErrInvalid, or errs.ErrTooLarge for the size caps.
package archives

import (
	"context"
	"io"
	"io/fs"
)

// Limits caps what an archive may hold.
type Limits struct {
	MaxMembers    int
	MaxMemberSize int64
	MaxTotalSize  int64
	MaxRatio      float64 // uncompressed/compressed, per member and overall
}

// DefaultLimits returns the caps used for uploads and installs.
func DefaultLimits() Limits {
	return Limits{MaxMembers: 100_000, MaxMemberSize: 2 << 30, MaxTotalSize: 8 << 30, MaxRatio: 200}
}

// Member describes one regular file or directory in an archive.
type Member struct {
	Name string // slash-separated, relative, clean; directories end without "/"
	Size int64
	Mode fs.FileMode
	Dir  bool
}

// Archive is an opened, validated archive.
type Archive interface {
	// Members lists the regular files and directories, in archive order.
	Members() []Member
	// ReadFile returns a member's bytes, enforcing the size caps. Errors wrap
	// errs.ErrNotFound when the member does not exist.
	ReadFile(name string) ([]byte, error)
	// Extract writes every member under dir (which must exist), with modes masked to 0o755/0o644.
	Extract(ctx context.Context, dir string) error
	Close() error
}

// OpenZip validates and opens a zip archive.
func OpenZip(r io.ReaderAt, size int64, lim Limits) (Archive, error) { panic("unimplemented") }

// OpenTarGz validates and opens a gzip-compressed tar archive. It may read the stream once
// into a bounded temporary store.
func OpenTarGz(r io.ReaderAt, size int64, lim Limits) (Archive, error) { panic("unimplemented") }
