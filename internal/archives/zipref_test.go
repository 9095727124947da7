package archives

// The reader this package had before it parsed the central directory itself: archive/zip
// for the directory and the data, and a second walk of the directory for the local header
// offsets. FuzzZipReference checks that the reader of zip.go accepts exactly what this one
// accepts, with the same members and the same bytes.

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/pydepot/pydepot/internal/errs"
)

type refZipArchive struct {
	index
	r     io.ReaderAt
	size  int64
	files map[string]*zip.File
	local map[string]int64 // local header offsets
	lim   Limits
}

// refOpenZip validates and opens a zip archive.
func refOpenZip(r io.ReaderAt, size int64, lim Limits) (Archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, invalidf("not a valid zip archive: %v", err)
	}
	if len(zr.File) > lim.MaxMembers {
		return nil, tooLargef("%d members, over the limit of %d", len(zr.File), lim.MaxMembers)
	}
	offsets, err := refLocalOffsets(r, size, zr.File)
	if err != nil {
		return nil, err
	}
	a := &refZipArchive{r: r, size: size, files: make(map[string]*zip.File, len(zr.File)), local: map[string]int64{}, lim: lim}
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

func (a *refZipArchive) Open(name string) (io.ReadCloser, error) {
	m, err := a.lookup(name)
	if err != nil {
		return nil, err
	}
	f := a.files[m.Name]
	if err := refCheckLocal(a.r, a.size, f, a.local[m.Name]); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, invalidf("member %q: %v", name, err)
	}
	return &refCappedReader{rc: rc, name: name, declared: m.Size, compressed: int64(f.CompressedSize64), lim: a.lim}, nil
}

func (a *refZipArchive) ReadFile(name string) ([]byte, error) {
	return ReadFileMax(a, name, MaxReadFile)
}

func (a *refZipArchive) Extract(ctx context.Context, dir string) error {
	return extract(ctx, dir, &a.index, a.Open)
}

func (a *refZipArchive) Close() error { return nil }

// refCappedReader counts the bytes actually inflated and stops at the member size cap, the
// declared size and the compression ratio, whatever the headers said.
type refCappedReader struct {
	rc         io.ReadCloser
	name       string
	n          int64
	declared   int64
	compressed int64
	lim        Limits
}

func (c *refCappedReader) Read(p []byte) (int, error) {
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

func (c *refCappedReader) Close() error { return c.rc.Close() }

// A zip member is described twice: in the central directory at the end of the file,
// which archive/zip (and so this package) reads, and in the local header in front of its
// data, which streaming readers and some installers read. A hostile archive makes them
// disagree (the central directory says evil/__init__.py, the local header
// ../../../etc/pwn), so that checks made on one do not hold for the other. Every local
// header is therefore compared with its central entry when the member is opened: the
// name, the method, the encryption flag, the CRC-32 and sizes (from the local header, or
// from the data descriptor after the data when flag bit 3 says they are there).
//
// archive/zip does not export where a local header is, so the central directory is
// walked here once more, in the same order and with the same base offset rules, to learn
// each entry's local header offset.

// refLocalOffsets returns the local header offset of each central directory entry of the
// zip in r, in directory order, checking that entry i is files[i].
func refLocalOffsets(r io.ReaderAt, size int64, files []*zip.File) ([]int64, error) {
	cdStart, base, err := refCentralDirectory(r, size)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, cdStart, size-cdStart), 64<<10)
	out := make([]int64, len(files))
	var fixed [46]byte
	for i, f := range files {
		if _, err := io.ReadFull(br, fixed[:]); err != nil {
			return nil, invalidf("central directory entry %d: %v", i, err)
		}
		if binary.LittleEndian.Uint32(fixed[0:]) != sigCentral {
			return nil, invalidf("central directory entry %d has no signature", i)
		}
		usize32 := binary.LittleEndian.Uint32(fixed[24:])
		csize32 := binary.LittleEndian.Uint32(fixed[20:])
		nameLen := int(binary.LittleEndian.Uint16(fixed[28:]))
		extraLen := int(binary.LittleEndian.Uint16(fixed[30:]))
		commentLen := int(binary.LittleEndian.Uint16(fixed[32:]))
		off := uint64(binary.LittleEndian.Uint32(fixed[42:]))
		rest := make([]byte, nameLen+extraLen+commentLen) // at most 192 KiB
		if _, err := io.ReadFull(br, rest); err != nil {
			return nil, invalidf("central directory entry %d: %v", i, err)
		}
		if string(rest[:nameLen]) != f.Name {
			return nil, invalidf("central directory entry %d is not %q", i, f.Name)
		}
		if off == 0xffffffff {
			// The zip64 extra holds, in order, the sizes that overflowed, then the offset.
			z, ok := findExtra(rest[nameLen:nameLen+extraLen], zip64ExtraID)
			skip := 0
			if usize32 == 0xffffffff {
				skip += 8
			}
			if csize32 == 0xffffffff {
				skip += 8
			}
			if !ok || len(z) < skip+8 {
				return nil, invalidf("member %q: no zip64 local header offset", f.Name)
			}
			off = binary.LittleEndian.Uint64(z[skip:])
		}
		if off > uint64(size) {
			return nil, invalidf("member %q: local header offset %d is past the end of the file", f.Name, off)
		}
		out[i] = base + int64(off)
	}
	return out, nil
}

// refCentralDirectory finds the start of the central directory and the base offset (bytes
// before the zip proper) as archive/zip's readDirectoryEnd does.
func refCentralDirectory(r io.ReaderAt, size int64) (start, base int64, err error) {
	n := min(size, 65*1024)
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return 0, 0, invalidf("reading the end of the zip: %v", err)
	}
	p := -1
	for i := len(buf) - 22; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == sigEnd && i+22+int(binary.LittleEndian.Uint16(buf[i+20:])) <= len(buf) {
			p = i
			break
		}
	}
	if p < 0 {
		return 0, 0, invalidf("no end of central directory")
	}
	endOff := size - n + int64(p)
	records := uint64(binary.LittleEndian.Uint16(buf[p+10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(buf[p+12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(buf[p+16:]))
	if records == 0xffff || dirSize == 0xffff || dirOff == 0xffffffff {
		if loc := endOff - 20; loc >= 0 {
			var l [20]byte
			if _, err := r.ReadAt(l[:], loc); err == nil && binary.LittleEndian.Uint32(l[0:]) == sigEnd64Loc &&
				binary.LittleEndian.Uint32(l[4:]) == 0 && binary.LittleEndian.Uint32(l[16:]) == 1 {
				p64 := int64(binary.LittleEndian.Uint64(l[8:]))
				var e [56]byte
				if p64 < 0 || p64 > size {
					return 0, 0, invalidf("zip64 end of central directory past the end of the file")
				}
				if _, err := r.ReadAt(e[:], p64); err != nil || binary.LittleEndian.Uint32(e[0:]) != sigEnd64 {
					return 0, 0, invalidf("bad zip64 end of central directory")
				}
				endOff = p64
				dirSize = binary.LittleEndian.Uint64(e[40:])
				dirOff = binary.LittleEndian.Uint64(e[48:])
			}
		}
	}
	if dirSize > uint64(size) || dirOff > uint64(size) {
		return 0, 0, invalidf("central directory past the end of the file")
	}
	base = endOff - int64(dirSize) - int64(dirOff)
	if o := base + int64(dirOff); o < 0 || o >= size {
		return 0, 0, invalidf("central directory past the end of the file")
	}
	if base > 0 {
		// archive/zip takes base 0 when a directory header is found there.
		var sig [4]byte
		if _, err := r.ReadAt(sig[:], int64(dirOff)); err == nil && binary.LittleEndian.Uint32(sig[:]) == sigCentral {
			base = 0
		}
	}
	return base + int64(dirOff), base, nil
}

// refCheckLocal compares the local header at off (and the data descriptor, when there is
// one) with f's central directory entry. Errors wrap errs.ErrInvalid.
func refCheckLocal(r io.ReaderAt, size int64, f *zip.File, off int64) error {
	var h [30]byte
	if _, err := r.ReadAt(h[:], off); err != nil || binary.LittleEndian.Uint32(h[0:]) != sigLocal {
		return invalidf("member %q has no local header where the central directory says", f.Name)
	}
	flags := binary.LittleEndian.Uint16(h[6:])
	method := binary.LittleEndian.Uint16(h[8:])
	crc := binary.LittleEndian.Uint32(h[14:])
	csize := uint64(binary.LittleEndian.Uint32(h[18:]))
	usize := uint64(binary.LittleEndian.Uint32(h[22:]))
	nameLen := int64(binary.LittleEndian.Uint16(h[26:]))
	extraLen := int64(binary.LittleEndian.Uint16(h[28:]))
	if off+30+nameLen+extraLen > size {
		return invalidf("member %q: local header past the end of the file", f.Name)
	}
	ne := make([]byte, nameLen+extraLen) // at most 128 KiB
	if _, err := r.ReadAt(ne, off+30); err != nil {
		return invalidf("member %q: reading its local header: %v", f.Name, err)
	}
	disagree := func(what string, local, central any) error {
		return invalidf("member %q: the local header says %s %v, the central directory %v (a zip whose two directories disagree)",
			f.Name, what, local, central)
	}
	if name := string(ne[:nameLen]); name != f.Name {
		if len(name) > 200 {
			name = name[:200] + "..."
		}
		return disagree("name", fmt.Sprintf("%q", name), fmt.Sprintf("%q", f.Name))
	}
	if data, err := f.DataOffset(); err != nil || data != off+30+nameLen+extraLen {
		return invalidf("member %q: its local header is not where archive/zip read it", f.Name)
	}
	if method != f.Method {
		return disagree("method", method, f.Method)
	}
	if flags&flagEncrypted != f.Flags&flagEncrypted {
		return disagree("encryption flag", flags&flagEncrypted, f.Flags&flagEncrypted)
	}
	if csize == 0xffffffff || usize == 0xffffffff {
		z, ok := findExtra(ne[nameLen:], zip64ExtraID)
		if ok && len(z) >= 16 {
			usize, csize = binary.LittleEndian.Uint64(z), binary.LittleEndian.Uint64(z[8:])
		}
	}
	// With a data descriptor the local fields are zero (or, from some writers, the values).
	desc := flags&flagDataDesc != 0
	if crc != f.CRC32 && !(desc && crc == 0) {
		return disagree("CRC-32", crc, f.CRC32)
	}
	if csize != f.CompressedSize64 && !(desc && csize == 0) {
		return disagree("compressed size", csize, f.CompressedSize64)
	}
	if usize != f.UncompressedSize64 && !(desc && usize == 0) {
		return disagree("size", usize, f.UncompressedSize64)
	}
	if !desc {
		return nil
	}
	// The data descriptor: an optional signature, the CRC-32 and both sizes, in 4 or
	// (zip64) 8 bytes each.
	var d [24]byte
	at := off + 30 + nameLen + extraLen + int64(f.CompressedSize64)
	n, _ := r.ReadAt(d[:], at)
	b := d[:n]
	candidates := [][]byte{b}
	if len(b) >= 4 && binary.LittleEndian.Uint32(b) == sigDescriptor {
		candidates = [][]byte{b[4:], b} // the signature is optional: it may be a CRC
	}
	for _, b := range candidates {
		if len(b) < 12 || binary.LittleEndian.Uint32(b) != f.CRC32 {
			continue
		}
		c32, u32 := uint64(binary.LittleEndian.Uint32(b[4:])), uint64(binary.LittleEndian.Uint32(b[8:]))
		if c32 == f.CompressedSize64 && u32 == f.UncompressedSize64 {
			return nil
		}
		if len(b) >= 20 && binary.LittleEndian.Uint64(b[4:]) == f.CompressedSize64 && binary.LittleEndian.Uint64(b[12:]) == f.UncompressedSize64 {
			return nil
		}
	}
	return invalidf("member %q: its data descriptor does not give the central directory's CRC-32 %d and sizes %d/%d (a zip whose two directories disagree)",
		f.Name, f.CRC32, f.CompressedSize64, f.UncompressedSize64)
}
