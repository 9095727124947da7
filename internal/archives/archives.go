// Package archives opens distribution archives (wheels and zip sdists as zip, sdists as
// tar.gz) safely. Every rule is enforced here, in one reader, and every caller (upload,
// sync, install, the check sandbox) uses it:
//
//   - a member name must be relative, clean, and stay inside the archive root (no "..",
//     no absolute paths, no drive letters, no backslashes, no NUL); a leading "./" in a
//     tar member is dropped;
//   - symbolic links, hard links, devices and FIFOs are rejected;
//   - the number of members, each member's size, the total uncompressed size and the
//     compression ratio are capped by Limits; sizes are enforced while reading, not trusted
//     from headers;
//   - duplicate member names are rejected, and so is a name used both as a file and as
//     a directory;
//   - a zip member's local header must agree with its central directory entry (name,
//     method, encryption flag, CRC-32 and sizes, from the data descriptor where the
//     header defers to it): checked when the member is opened, so every reader of the
//     data, Verify included, sees the archive the central directory describes;
//   - a member read whole (ReadFile) is at most MaxReadFile bytes, ReadFileMax sets a
//     smaller cap, and everything else is streamed;
//   - reading stops when the context is canceled (Verify, Extract, OpenTarGz).
//
// The compression ratio is checked only once more than 1 MiB has been inflated, so small,
// very compressible files (a license text, an empty __init__.py) are not refused. For zip
// it is checked per member and for the whole archive; a tar.gz is one compressed stream,
// so its ratio is the whole stream's.
//
// A zip is read in place through its io.ReaderAt, its last 65 KiB (all of a small wheel,
// and most central directories) once, into memory; its central directory is read by
// archive/zip's rules, by this package (zipdir.go). A tar.gz is read once when opened, and
// its regular files are copied to a spool that keeps the first 4 MiB in memory and the
// rest in an unlinked temporary file, so memory stays bounded and nothing is left on
// disk. ExtractTarGz and ExtractTar apply the same rules to a stream and write it out in
// one pass, without the spool. Verify reads every member of an opened archive once (a zip
// member already read to its end through the archive, CRC-32 and sizes checked, is not
// read again).
//
// Violations wrap errs.ErrInvalid, or errs.ErrTooLarge for the member-count and size caps.
// A compression ratio over the cap is a decompression bomb: a hostile archive, not a large
// one, so it wraps errs.ErrInvalid (HTTP 400), not ErrTooLarge (413).
package archives

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pydepot/pydepot/internal/errs"
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

// ratioFloor is the inflated size below which the compression ratio is not checked.
const ratioFloor = 1 << 20

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
	// ReadFile returns a member's bytes, enforcing the size caps; a member over
	// MaxReadFile is refused (errs.ErrTooLarge, naming it and the limit): stream it with
	// Open. Errors wrap errs.ErrNotFound when the member does not exist.
	ReadFile(name string) ([]byte, error)
	// Open streams a regular file member, enforcing the size caps while it is read.
	// Errors wrap errs.ErrNotFound when the member does not exist.
	Open(name string) (io.ReadCloser, error)
	// Extract writes every member under dir (which must exist), with modes masked to 0o755/0o644.
	Extract(ctx context.Context, dir string) error
	Close() error
}

// MaxReadFile is the largest member that Archive.ReadFile reads whole. Members read whole
// are small by nature (METADATA, RECORD, WHEEL, entry_points.txt, top_level.txt); 32 MiB
// is a RECORD of some 200,000 lines, twice the member cap of the default Limits. A
// hostile 1 GiB RECORD is refused from its size in the central directory, before it is
// inflated.
const MaxReadFile = 32 << 20

// ReadFileMax is ReadFile with a smaller cap: a member over limit bytes (its declared
// size, which the readers enforce) is refused before it is read, with an error that names
// the member and the limit and wraps errs.ErrTooLarge.
func ReadFileMax(a Archive, name string, limit int64) ([]byte, error) {
	m, err := Lookup(a, name)
	if err != nil {
		return nil, err
	}
	if m.Size > limit {
		return nil, tooLargef("member %q is %d bytes, over the limit of %d bytes for that file", name, m.Size, limit)
	}
	rc, err := openOnce(a, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// Room for the declared size and one byte more, to see the end without growing
	// (the readers enforce the declared size); at most 1 MiB ahead of the data.
	buf := make([]byte, 0, min(m.Size, 1<<20)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		free := buf[len(buf):cap(buf)]
		if room := limit + 1 - int64(len(buf)); int64(len(free)) > room {
			free = free[:room]
		}
		k, err := rc.Read(free)
		buf = buf[:len(buf)+k]
		if int64(len(buf)) > limit {
			return nil, tooLargef("member %q is over the limit of %d bytes for that file", name, limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Lookup returns the regular file member name of a (its Size is the declared size, which
// the readers enforce). Errors wrap errs.ErrNotFound when there is none, errs.ErrInvalid
// when it is a directory.
func Lookup(a Archive, name string) (Member, error) {
	if ix, ok := a.(interface{ lookup(string) (Member, error) }); ok {
		return ix.lookup(name)
	}
	for _, m := range a.Members() {
		if m.Name == name && !m.Dir {
			return m, nil
		}
	}
	return Member{}, fmt.Errorf("archive: no member %q: %w", name, errs.ErrNotFound)
}

// Has reports whether a has a member name, a regular file or a directory (which
// Open and Lookup refuse): it tells a missing member (top_level.txt,
// namespace_packages.txt are often missing) without making the error that says so.
func Has(a Archive, name string) bool {
	if ix, ok := a.(interface{ has(string) bool }); ok {
		return ix.has(name)
	}
	for _, m := range a.Members() {
		if m.Name == name {
			return true
		}
	}
	return false
}

// MemberList is Members without the copy, for a caller that only reads it: it must not
// change the slice.
func MemberList(a Archive) []Member {
	if ix, ok := a.(interface{ memberList() []Member }); ok {
		return ix.memberList()
	}
	return a.Members()
}

// copyContext copies src to dst and stops with ctx's error once ctx is done, so that a
// request that is canceled stops inflating a large member.
func copyContext(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	return copyContextBuf(ctx, dst, src, make([]byte, copyBuf))
}

// copyBuf is the buffer size of copyContext.
const copyBuf = 32 << 10

// copyBufs holds Verify's copy buffers: a cache, not state.
var copyBufs = sync.Pool{New: func() any { return new([copyBuf]byte) }}

// copyContextBuf is copyContext through buf (not empty).
func copyContextBuf(ctx context.Context, dst io.Writer, src io.Reader, buf []byte) (int64, error) {
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, err := src.Read(buf)
		if k > 0 {
			w, werr := dst.Write(buf[:k])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// Verify reads every regular file of a through the caps (and, for zip, checks each CRC),
// which proves the archive is complete and readable. Errors wrap errs.ErrInvalid or
// errs.ErrTooLarge; it stops with ctx's error once ctx is done.
//
// One buffer serves every member, and it comes from a pool (a sync verifies thousands of
// small wheels: a 32 KiB buffer per member was most of what it allocated, and its
// garbage collections).
//
// A zip member already read to its end through the archive (the METADATA Inspect parses,
// its top_level.txt) passed the same checks on the same bytes: it is not read again.
func Verify(ctx context.Context, a Archive) error {
	members := MemberList(a)
	whole, _ := a.(interface{ readWhole(int) bool })
	left, files := false, false
	for i, m := range members {
		files = files || !m.Dir
		left = left || !m.Dir && (whole == nil || !whole.readWhole(i))
	}
	if !left {
		if files {
			return ctx.Err()
		}
		return nil
	}
	bp := copyBufs.Get().(*[copyBuf]byte)
	defer copyBufs.Put(bp)
	buf := bp[:]
	for i, m := range members {
		if m.Dir || whole != nil && whole.readWhole(i) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := openOnce(a, m.Name)
		if err != nil {
			return err
		}
		_, err = copyContextBuf(ctx, io.Discard, rc, buf)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("archive: %s: %w", fmt.Sprintf(format, args...), errs.ErrInvalid)
}

func tooLargef(format string, args ...any) error {
	return fmt.Errorf("archive: %s: %w", fmt.Sprintf(format, args...), errs.ErrTooLarge)
}

// cleanName checks a member name against the rules and returns it without a trailing
// slash, and whether the slash marked a directory.
func cleanName(name string) (string, bool, error) {
	switch {
	case name == "":
		return "", false, invalidf("member with an empty name")
	case strings.IndexByte(name, 0) >= 0:
		return "", false, invalidf("member name %q contains NUL", name)
	case strings.IndexByte(name, '\\') >= 0:
		return "", false, invalidf("member name %q contains a backslash", name)
	case name[0] == '/':
		return "", false, invalidf("member name %q is an absolute path", name)
	case len(name) >= 2 && name[1] == ':' && isLetter(name[0]):
		return "", false, invalidf("member name %q starts with a drive letter", name)
	}
	dir := strings.HasSuffix(name, "/")
	n := strings.TrimSuffix(name, "/")
	for rest := n; ; {
		el, after, more := strings.Cut(rest, "/")
		switch el {
		case "..":
			return "", false, invalidf("member name %q escapes the archive root", name)
		case "", ".":
			return "", false, invalidf("member name %q is not a clean path", name)
		}
		if !more {
			break
		}
		rest = after
	}
	return n, dir, nil
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// index records members and rejects duplicates and file/directory clashes as they are
// added.
type index struct {
	members []Member
	byName  map[string]int
	parents map[string]bool // every directory some member lives in
}

// grow makes room for n members.
func (ix *index) grow(n int) {
	if ix.byName == nil {
		ix.members = make([]Member, 0, n)
		ix.byName = make(map[string]int, n)
		ix.parents = map[string]bool{}
	}
}

func (ix *index) add(m Member) error {
	if ix.byName == nil {
		ix.byName = map[string]int{}
		ix.parents = map[string]bool{}
	}
	if _, dup := ix.byName[m.Name]; dup {
		return invalidf("duplicate member %q", m.Name)
	}
	if !m.Dir && ix.parents[m.Name] {
		return invalidf("member %q is a file and the directory of another member", m.Name)
	}
	for p := m.Name; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
		if ix.parents[p] {
			break // its own parents were recorded already
		}
		if j, ok := ix.byName[p]; ok && !ix.members[j].Dir {
			return invalidf("member %q is a file and the directory of %q", p, m.Name)
		}
		ix.parents[p] = true
	}
	ix.byName[m.Name] = len(ix.members)
	ix.members = append(ix.members, m)
	return nil
}

func (ix *index) lookup(name string) (Member, error) {
	i, err := ix.lookupIndex(name)
	if err != nil {
		return Member{}, err
	}
	return ix.members[i], nil
}

// lookupIndex returns where the regular file member name is in members.
func (ix *index) lookupIndex(name string) (int, error) {
	i, ok := ix.byName[name]
	if !ok {
		return 0, fmt.Errorf("archive: no member %q: %w", name, errs.ErrNotFound)
	}
	if ix.members[i].Dir {
		return 0, invalidf("member %q is a directory", name)
	}
	return i, nil
}

func (ix *index) has(name string) bool {
	_, ok := ix.byName[name]
	return ok
}

// memberList is the members, not a copy: for this package's readers, which do not
// change it.
func (ix *index) memberList() []Member { return ix.members }

func (ix *index) Members() []Member { return append([]Member(nil), ix.members...) }

func maskMode(m fs.FileMode, dir bool) fs.FileMode {
	if dir || m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// extract writes the members of ix under dir, opening files through open.
func extract(ctx context.Context, dir string, ix *index, open func(string) (io.ReadCloser, error)) error {
	if err := checkDir(dir); err != nil {
		return err
	}
	for _, m := range ix.members {
		if err := ctx.Err(); err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(m.Name))
		if m.Dir {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("archive: extract: %w", err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("archive: extract: %w", err)
		}
		if err := extractFile(ctx, target, m, open); err != nil {
			return err
		}
	}
	return nil
}

func extractFile(ctx context.Context, target string, m Member, open func(string) (io.ReadCloser, error)) error {
	rc, err := open(m.Name)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, maskMode(m.Mode, false))
	if err != nil {
		return fmt.Errorf("archive: extract: %w", err)
	}
	if _, err := copyContext(ctx, f, rc); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("archive: extract: %w", err)
	}
	return nil
}
