package archives

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

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

const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigEnd64Loc   = 0x07064b50
	sigEnd64      = 0x06064b50
	sigDescriptor = 0x08074b50
	zip64ExtraID  = 0x0001
	flagEncrypted = 0x1
	flagDataDesc  = 0x8
)

// localOffsets returns the local header offset of each central directory entry of the
// zip in r, in directory order, checking that entry i is files[i].
func localOffsets(r io.ReaderAt, size int64, files []*zip.File) ([]int64, error) {
	cdStart, base, err := centralDirectory(r, size)
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

// centralDirectory finds the start of the central directory and the base offset (bytes
// before the zip proper) as archive/zip's readDirectoryEnd does.
func centralDirectory(r io.ReaderAt, size int64) (start, base int64, err error) {
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

// findExtra returns the data of the extra field with the given id.
func findExtra(extra []byte, id uint16) ([]byte, bool) {
	for len(extra) >= 4 {
		tag := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			return nil, false
		}
		if tag == id {
			return extra[:n], true
		}
		extra = extra[n:]
	}
	return nil, false
}

// checkLocal compares the local header at off (and the data descriptor, when there is
// one) with f's central directory entry. Errors wrap errs.ErrInvalid.
func checkLocal(r io.ReaderAt, size int64, f *zip.File, off int64) error {
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
