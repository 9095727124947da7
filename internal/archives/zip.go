package archives

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/pydepot/pydepot/internal/errs"
)

type zipArchive struct {
	index
	r     io.ReaderAt
	size  int64
	files map[string]*zip.File
	local map[string]int64 // local header offsets
	lim   Limits
}

// OpenZip validates and opens a zip archive.
func OpenZip(r io.ReaderAt, size int64, lim Limits) (Archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, invalidf("not a valid zip archive: %v", err)
	}
	if len(zr.File) > lim.MaxMembers {
		return nil, tooLargef("%d members, over the limit of %d", len(zr.File), lim.MaxMembers)
	}
	offsets, err := localOffsets(r, size, zr.File)
	if err != nil {
		return nil, err
	}
	a := &zipArchive{r: r, size: size, files: make(map[string]*zip.File, len(zr.File)), local: map[string]int64{}, lim: lim}
	var total uint64
	for i, f := range zr.File {
		name, dirSlash, err := cleanName(f.Name)
		if err != nil {
			return nil, err
		}
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			return nil, invalidf("member %q is a symbolic link", f.Name)
		case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeIrregular) != 0:
			return nil, invalidf("member %q is a device, FIFO or socket", f.Name)
		}
		dir := dirSlash || mode.IsDir()
		if f.Flags&0x1 != 0 {
			return nil, invalidf("member %q is encrypted", f.Name)
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, invalidf("member %q uses unsupported compression method %d", f.Name, f.Method)
		}
		if dir && f.UncompressedSize64 != 0 {
			return nil, invalidf("directory member %q has content", f.Name)
		}
		if f.CompressedSize64 > uint64(size) {
			return nil, invalidf("member %q claims %d compressed bytes in a %d byte file", f.Name, f.CompressedSize64, size)
		}
		if f.UncompressedSize64 > uint64(lim.MaxMemberSize) {
			return nil, tooLargef("member %q is %d bytes, over the limit of %d", f.Name, f.UncompressedSize64, lim.MaxMemberSize)
		}
		if f.UncompressedSize64 > ratioFloor && float64(f.UncompressedSize64) > lim.MaxRatio*float64(max(f.CompressedSize64, 1)) {
			return nil, invalidf("member %q compression ratio %.0f is over the limit of %.0f (a decompression bomb)", f.Name,
				float64(f.UncompressedSize64)/float64(max(f.CompressedSize64, 1)), lim.MaxRatio)
		}
		total += f.UncompressedSize64
		if total > uint64(lim.MaxTotalSize) {
			return nil, tooLargef("total uncompressed size over the limit of %d bytes", lim.MaxTotalSize)
		}
		if err := a.add(Member{Name: name, Size: int64(f.UncompressedSize64), Mode: maskMode(mode, dir), Dir: dir}); err != nil {
			return nil, err
		}
		if !dir {
			a.files[name] = f
			a.local[name] = offsets[i]
		}
	}
	if total > ratioFloor && float64(total) > lim.MaxRatio*float64(max(size, 1)) {
		return nil, invalidf("overall compression ratio %.0f is over the limit of %.0f (a decompression bomb)", float64(total)/float64(size), lim.MaxRatio)
	}
	return a, nil
}

func (a *zipArchive) Open(name string) (io.ReadCloser, error) {
	m, err := a.lookup(name)
	if err != nil {
		return nil, err
	}
	f := a.files[m.Name]
	if err := checkLocal(a.r, a.size, f, a.local[m.Name]); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, invalidf("member %q: %v", name, err)
	}
	return &cappedReader{rc: rc, name: name, declared: m.Size, compressed: int64(f.CompressedSize64), lim: a.lim}, nil
}

func (a *zipArchive) ReadFile(name string) ([]byte, error) {
	return ReadFileMax(a, name, MaxReadFile)
}

func (a *zipArchive) Extract(ctx context.Context, dir string) error {
	return extract(ctx, dir, &a.index, a.Open)
}

func (a *zipArchive) Close() error { return nil }

// cappedReader counts the bytes actually inflated and stops at the member size cap, the
// declared size and the compression ratio, whatever the headers said.
type cappedReader struct {
	rc         io.ReadCloser
	name       string
	n          int64
	declared   int64
	compressed int64
	lim        Limits
}

func (c *cappedReader) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.n += int64(n)
	switch {
	case c.n > c.lim.MaxMemberSize:
		return n, tooLargef("member %q is over the limit of %d bytes", c.name, c.lim.MaxMemberSize)
	case c.n > c.declared:
		return n, invalidf("member %q holds more than its declared %d bytes", c.name, c.declared)
	case c.n > ratioFloor && float64(c.n) > c.lim.MaxRatio*float64(max(c.compressed, 1)):
		return n, invalidf("member %q compression ratio is over the limit of %.0f (a decompression bomb)", c.name, c.lim.MaxRatio)
	}
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("archive: member %q: %v: %w", c.name, err, errs.ErrInvalid)
	}
	return n, err
}

func (c *cappedReader) Close() error { return c.rc.Close() }
