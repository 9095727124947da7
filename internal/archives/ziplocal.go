package archives

import (
	"encoding/binary"
	"fmt"
)

// A zip member is described twice: in the central directory at the end of the file,
// which this package reads (zipdir.go), and in the local header in front of its
// data, which streaming readers and some installers read. A hostile archive makes them
// disagree (the central directory says evil/__init__.py, the local header
// ../../../etc/pwn), so that checks made on one do not hold for the other. Every local
// header is therefore compared with its central entry when the member is opened: the
// name, the method, the encryption flag, the CRC-32 and sizes (from the local header, or
// from the data descriptor after the data when flag bit 3 says they are there).
// The data is read from just after the local header that was checked.

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

// checkLocal compares the local header of f (and the data descriptor, when there is
// one) with f's central directory entry, and returns where f's data starts. Errors wrap
// errs.ErrInvalid. What is read goes to scratch when it fits.
func checkLocal(s *zipSource, f *centralEntry, scratch []byte) (int64, error) {
	off := f.local
	h, err := s.view(off, 30, false, scratch)
	if err != nil || binary.LittleEndian.Uint32(h[0:]) != sigLocal {
		return 0, invalidf("member %q has no local header where the central directory says", f.name)
	}
	flags := binary.LittleEndian.Uint16(h[6:])
	method := binary.LittleEndian.Uint16(h[8:])
	crc := binary.LittleEndian.Uint32(h[14:])
	csize := uint64(binary.LittleEndian.Uint32(h[18:]))
	usize := uint64(binary.LittleEndian.Uint32(h[22:]))
	nameLen := int64(binary.LittleEndian.Uint16(h[26:]))
	extraLen := int64(binary.LittleEndian.Uint16(h[28:]))
	data := off + 30 + nameLen + extraLen
	if data > s.size {
		return 0, invalidf("member %q: local header past the end of the file", f.name)
	}
	ne, err := s.view(off+30, nameLen+extraLen, false, scratch) // at most 128 KiB
	if err != nil {
		return 0, invalidf("member %q: reading its local header: %v", f.name, err)
	}
	disagree := func(what string, local, central any) error {
		return invalidf("member %q: the local header says %s %v, the central directory %v (a zip whose two directories disagree)",
			f.name, what, local, central)
	}
	if string(ne[:nameLen]) != f.name {
		name := string(ne[:nameLen])
		if len(name) > 200 {
			name = name[:200] + "..."
		}
		return 0, disagree("name", fmt.Sprintf("%q", name), fmt.Sprintf("%q", f.name))
	}
	if method != f.method {
		return 0, disagree("method", method, f.method)
	}
	if flags&flagEncrypted != f.flags&flagEncrypted {
		return 0, disagree("encryption flag", flags&flagEncrypted, f.flags&flagEncrypted)
	}
	if csize == 0xffffffff || usize == 0xffffffff {
		z, ok := findExtra(ne[nameLen:], zip64ExtraID)
		if ok && len(z) >= 16 {
			usize, csize = binary.LittleEndian.Uint64(z), binary.LittleEndian.Uint64(z[8:])
		}
	}
	// With a data descriptor the local fields are zero (or, from some writers, the values).
	desc := flags&flagDataDesc != 0
	if crc != f.crc && !(desc && crc == 0) {
		return 0, disagree("CRC-32", crc, f.crc)
	}
	if csize != f.csize && !(desc && csize == 0) {
		return 0, disagree("compressed size", csize, f.csize)
	}
	if usize != f.usize && !(desc && usize == 0) {
		return 0, disagree("size", usize, f.usize)
	}
	if !desc {
		return data, nil
	}
	// The data descriptor: an optional signature, the CRC-32 and both sizes, in 4 or
	// (zip64) 8 bytes each.
	b, _ := s.view(data+int64(f.csize), 24, true, scratch)
	if !descriptorAgrees(b, f) {
		return 0, invalidf("member %q: its data descriptor does not give the central directory's CRC-32 %d and sizes %d/%d (a zip whose two directories disagree)",
			f.name, f.crc, f.csize, f.usize)
	}
	return data, nil
}

// descriptorAgrees reports whether the data descriptor b (what the file holds of its 24
// bytes) gives f's CRC-32 and sizes, and gives the CRC-32 where archive/zip reads it
// (after a signature when there is one).
func descriptorAgrees(b []byte, f *centralEntry) bool {
	switch {
	case len(b) >= 16 && binary.LittleEndian.Uint32(b) == sigDescriptor:
		if binary.LittleEndian.Uint32(b[4:]) != f.crc {
			return false
		}
	case len(b) >= 12 && binary.LittleEndian.Uint32(b) != sigDescriptor:
		if binary.LittleEndian.Uint32(b) != f.crc {
			return false
		}
	default:
		return false
	}
	candidates := [2][]byte{b}
	if binary.LittleEndian.Uint32(b) == sigDescriptor {
		candidates = [2][]byte{b[4:], b} // the signature is optional: it may be a CRC
	}
	for _, b := range candidates {
		if len(b) < 12 || binary.LittleEndian.Uint32(b) != f.crc {
			continue
		}
		c32, u32 := uint64(binary.LittleEndian.Uint32(b[4:])), uint64(binary.LittleEndian.Uint32(b[8:]))
		if c32 == f.csize && u32 == f.usize {
			return true
		}
		if len(b) >= 20 && binary.LittleEndian.Uint64(b[4:]) == f.csize && binary.LittleEndian.Uint64(b[12:]) == f.usize {
			return true
		}
	}
	return false
}
