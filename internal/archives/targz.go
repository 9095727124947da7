package archives

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
)

// spoolMem is how much of a tar.gz's content the spool keeps in memory.
const spoolMem = 4 << 20

type tarArchive struct {
	index
	offsets map[string]int64
	sp      *spool
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioReader reports ErrInvalid (a decompression bomb) once the inflated stream outgrows the ratio cap.
type ratioReader struct {
	r        io.Reader
	in       *countingReader
	out      int64
	maxRatio float64
}

// RatioChecked decompresses the stream compressed with decode (given a reader of the
// compressed bytes, it returns one of the decompressed bytes) and returns the
// decompressed stream, whose reads fail with ErrInvalid once more than 1 MiB came out
// and that is over maxRatio times the compressed bytes read: a decompression bomb.
// The gzip readers here apply it; a caller with another compression (envrun's zstd)
// applies it with its decoder.
func RatioChecked(compressed io.Reader, maxRatio float64, decode func(io.Reader) (io.Reader, error)) (io.Reader, error) {
	in := &countingReader{r: compressed}
	dec, err := decode(in)
	if err != nil {
		return nil, err
	}
	return &ratioReader{r: dec, in: in, maxRatio: maxRatio}, nil
}

func (r *ratioReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.out += int64(n)
	if r.out > ratioFloor && float64(r.out) > r.maxRatio*float64(max(r.in.n, 1)) {
		return n, invalidf("compression ratio is over the limit of %.0f: a decompression bomb", r.maxRatio)
	}
	return n, err
}

// OpenTarGz validates and opens a gzip-compressed tar archive. It reads the stream once
// into a bounded temporary store (see the package documentation).
// It stops with ctx's error once ctx is done.
func OpenTarGz(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (Archive, error) {
	a := &tarArchive{offsets: map[string]int64{}, sp: &spool{}}
	err := walkTarGz(ctx, io.NewSectionReader(r, 0, size), lim, &a.index, func(m Member, body io.Reader) error {
		if m.Dir {
			return nil
		}
		off := a.sp.size
		if _, err := copyContext(ctx, a.sp, body); err != nil {
			return err
		}
		a.offsets[m.Name] = off
		return nil
	})
	if err != nil {
		a.sp.close()
		return nil, err
	}
	return a, nil
}

// walkTarGz checks a gzip-compressed tar stream against the rules and calls file for
// each member after adding it to ix: for a regular file with a reader of exactly its
// bytes, for a directory with a nil reader.
func walkTarGz(ctx context.Context, r io.Reader, lim Limits, ix *index, file func(Member, io.Reader) error) error {
	var zr *gzip.Reader
	rr, err := RatioChecked(bufio.NewReaderSize(r, 64<<10), lim.MaxRatio, func(in io.Reader) (io.Reader, error) {
		var err error
		zr, err = gzip.NewReader(in)
		return zr, err
	})
	if err != nil {
		return invalidf("not a gzip stream: %v", err)
	}
	defer zr.Close()
	if err := walkTar(ctx, rr, lim, ix, file); err != nil {
		return err
	}
	// Read to the end of the gzip stream so that truncation and a bad checksum show.
	if _, err := io.Copy(io.Discard, rr); err != nil {
		return streamErr(err)
	}
	return nil
}

// walkTar is walkTarGz for an uncompressed tar stream.
func walkTar(ctx context.Context, r io.Reader, lim Limits, ix *index, file func(Member, io.Reader) error) error {
	tr := tar.NewReader(r)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return streamErr(err)
		}
		if len(ix.members) >= lim.MaxMembers {
			return tooLargef("more than %d members", lim.MaxMembers)
		}
		m, skip, err := headerMember(hdr, lim, total)
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		if err := ix.add(m); err != nil {
			return err
		}
		if m.Dir {
			if err := file(m, nil); err != nil {
				return err
			}
			continue
		}
		body := &countingReader{r: io.LimitReader(tr, m.Size)}
		if err := file(m, body); err != nil {
			return streamErr(err)
		}
		if body.n != m.Size {
			if _, err := io.Copy(io.Discard, body); err != nil {
				return streamErr(err)
			}
			if body.n != m.Size {
				return invalidf("member %q holds %d bytes, not its declared %d", m.Name, body.n, m.Size)
			}
		}
		total += m.Size
	}
	if len(ix.members) == 0 {
		return invalidf("empty tar archive")
	}
	return nil
}

// streamErr classifies an error from the gzip/tar stream.
func streamErr(err error) error {
	if errors.Is(err, errs.ErrTooLarge) || errors.Is(err, errs.ErrInvalid) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return err // a local file system error, not the archive's fault
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return invalidf("truncated archive: %v", err)
	}
	return invalidf("corrupt tar: %v", err)
}

// headerMember checks one tar header and returns the member it denotes; skip is set for
// entries that carry no member (the root directory, pax global headers).
func headerMember(hdr *tar.Header, lim Limits, total int64) (m Member, skip bool, err error) {
	raw := hdr.Name
	name := raw
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		return m, true, nil
	case tar.TypeSymlink:
		return m, false, invalidf("member %q is a symbolic link to %q", raw, hdr.Linkname)
	case tar.TypeLink:
		return m, false, invalidf("member %q is a hard link to %q", raw, hdr.Linkname)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return m, false, invalidf("member %q is a device or FIFO", raw)
	case tar.TypeDir:
		if name == "" || name == "." {
			return m, true, nil // the archive root itself
		}
		n, _, err := cleanName(name)
		if err != nil {
			return m, false, err
		}
		return Member{Name: n, Mode: 0o755, Dir: true}, false, nil
	case tar.TypeReg, '\x00':
	default:
		return m, false, invalidf("member %q has unsupported type %q", raw, hdr.Typeflag)
	}
	n, dirSlash, err := cleanName(name)
	if err != nil {
		return m, false, err
	}
	if dirSlash {
		return m, false, invalidf("regular file member %q ends with a slash", raw)
	}
	if hdr.Size < 0 || hdr.Size > lim.MaxMemberSize {
		return m, false, tooLargef("member %q is %d bytes, over the limit of %d", raw, hdr.Size, lim.MaxMemberSize)
	}
	if total+hdr.Size > lim.MaxTotalSize {
		return m, false, tooLargef("total uncompressed size over the limit of %d bytes", lim.MaxTotalSize)
	}
	return Member{Name: n, Size: hdr.Size, Mode: maskMode(fs.FileMode(hdr.Mode), false)}, false, nil
}

func (a *tarArchive) Open(name string) (io.ReadCloser, error) {
	m, err := a.lookup(name)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(a.sp.section(a.offsets[m.Name], m.Size)), nil
}

func (a *tarArchive) ReadFile(name string) ([]byte, error) {
	m, err := a.lookup(name)
	if err != nil {
		return nil, err
	}
	if m.Size > MaxReadFile {
		return nil, tooLargef("member %q is %d bytes, over the limit of %d bytes for that file", name, m.Size, MaxReadFile)
	}
	buf := make([]byte, m.Size)
	if _, err := io.ReadFull(a.sp.section(a.offsets[m.Name], m.Size), buf); err != nil {
		return nil, fmt.Errorf("archive: reading spooled member %q: %w", name, err)
	}
	return buf, nil
}

func (a *tarArchive) Extract(ctx context.Context, dir string) error {
	return extract(ctx, dir, &a.index, a.Open)
}

func (a *tarArchive) Close() error { return a.sp.close() }

// spool stores bytes in memory up to spoolMem, then in an unlinked temporary file.
type spool struct {
	mem  []byte
	f    *os.File
	size int64
}

// Write implements io.Writer.
func (s *spool) Write(p []byte) (int, error) {
	if err := s.write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (s *spool) write(p []byte) error {
	if s.f == nil && int64(len(s.mem))+int64(len(p)) <= spoolMem {
		s.mem = append(s.mem, p...)
		s.size += int64(len(p))
		return nil
	}
	if s.f == nil {
		f, err := os.CreateTemp("", "pydepot-archive-*")
		if err != nil {
			return fmt.Errorf("archive: spool: %w", err)
		}
		os.Remove(f.Name()) // unlinked: the space is freed when f is closed
		s.f = f
	}
	if _, err := s.f.WriteAt(p, s.size-int64(len(s.mem))); err != nil {
		return fmt.Errorf("archive: spool: %w", err)
	}
	s.size += int64(len(p))
	return nil
}

// section returns a reader of n bytes at off, across memory and file.
func (s *spool) section(off, n int64) io.Reader {
	memLen := int64(len(s.mem))
	var rs []io.Reader
	if off < memLen {
		end := min(off+n, memLen)
		rs = append(rs, bytes.NewReader(s.mem[off:end]))
		n -= end - off
		off = end
	}
	if n > 0 && s.f != nil {
		rs = append(rs, io.NewSectionReader(s.f, off-memLen, n))
	}
	return io.MultiReader(rs...)
}

func (s *spool) close() error {
	s.mem = nil
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		return err
	}
	return nil
}
