package archives

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
)

// The central directory is read here, once, by the rules of archive/zip's reader (where
// the end record is searched, the zip64 records, the base offset of a zip with bytes in
// front of it, which entries count): archive/zip read it and this package walked it a
// second time for the local header offsets that archive/zip does not export, which was
// most of the cost of opening a small wheel. FuzzZipReference compares the two readers.

// centralEntry is one central directory entry.
type centralEntry struct {
	name     string // as written
	creator  uint16 // version made by
	flags    uint16
	method   uint16
	crc      uint32
	csize    uint64
	usize    uint64
	external uint32 // external attributes
	local    int64  // offset of the local header, base offset included
	whole    uint32 // atomic: 1 once the member was read to its end, every check passed
}

// mode is the entry's file mode, as archive/zip computes it.
func (e *centralEntry) mode() fs.FileMode {
	h := zip.FileHeader{Name: e.name, CreatorVersion: e.creator, ExternalAttrs: e.external}
	return h.Mode()
}

// tailSize is how much of the end of a zip is read at once: archive/zip's widest
// search for the end record, and so the whole of a small wheel.
const tailSize = 65 * 1024

// zipSource is the zip's bytes: the last tailSize (all of a small file) read once, in
// one ReadAt, and served from memory; the rest through ReadAt. A reader that lends its
// bytes (InMemory) is not copied: a sync inspects thousands of small wheels it holds in
// memory already.
type zipSource struct {
	r       io.ReaderAt
	size    int64
	tail    []byte
	tailOff int64
}

// InMemory is an io.ReaderAt whose bytes are in memory and lent: Bytes returns them
// all (nil when it has none in memory), and the archive readers never change them.
type InMemory interface {
	Bytes() []byte
}

func newZipSource(r io.ReaderAt, size int64) (zipSource, error) {
	if size < 0 {
		return zipSource{}, invalidf("not a valid zip archive: negative size")
	}
	n := min(size, tailSize)
	if m, ok := r.(InMemory); ok {
		if b := m.Bytes(); int64(len(b)) == size {
			return zipSource{r: r, size: size, tail: b[size-n : size : size], tailOff: size - n}, nil
		}
	}
	s := zipSource{r: r, size: size, tail: make([]byte, n), tailOff: size - n}
	if _, err := r.ReadAt(s.tail, s.tailOff); err != nil && err != io.EOF {
		return zipSource{}, invalidf("not a valid zip archive: %v", err)
	}
	return s, nil
}

// view returns the n bytes at off, from memory when they are there, else read (into
// scratch when they fit); fewer than n (at the end of the file) only when short is set.
func (s *zipSource) view(off, n int64, short bool, scratch []byte) ([]byte, error) {
	if off < 0 || n < 0 {
		return nil, io.ErrUnexpectedEOF
	}
	if off >= s.tailOff {
		if off > s.size {
			off = s.size
		}
		b := s.tail[off-s.tailOff:]
		if int64(len(b)) >= n {
			return b[:n:n], nil
		}
		if short {
			return b, nil
		}
		return nil, io.ErrUnexpectedEOF
	}
	var b []byte
	if n <= int64(len(scratch)) {
		b = scratch[:n]
	} else {
		b = make([]byte, n)
	}
	k, err := s.r.ReadAt(b, off)
	if k == len(b) || short {
		return b[:k], nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return nil, err
}

// inMemory returns the n bytes at off when they are in memory.
func (s *zipSource) inMemory(off, n int64) ([]byte, bool) {
	if off >= s.tailOff && off+n <= s.size && off+n >= off {
		return s.tail[off-s.tailOff : off-s.tailOff+n], true
	}
	return nil, false
}

// dirReader reads central directory entries one after the other, as io.ReadFull would
// read them from the rest of the file.
type dirReader struct {
	mem     []byte        // the rest of the file, when it is in memory
	br      *bufio.Reader // else
	scratch []byte
}

func (d *dirReader) next(n int) ([]byte, error) {
	if d.br == nil {
		if n > len(d.mem) {
			if len(d.mem) == 0 {
				return nil, io.EOF
			}
			d.mem = nil
			return nil, io.ErrUnexpectedEOF
		}
		p := d.mem[:n:n]
		d.mem = d.mem[n:]
		return p, nil
	}
	if cap(d.scratch) < n {
		d.scratch = make([]byte, n)
	}
	p := d.scratch[:n]
	if _, err := io.ReadFull(d.br, p); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *zipSource) dirReader(off int64) dirReader {
	if off >= s.tailOff {
		return dirReader{mem: s.tail[off-s.tailOff:]}
	}
	n := s.size - off
	return dirReader{br: bufio.NewReaderSize(io.NewSectionReader(s.r, off, n), int(min(n, 64<<10)))}
}

// readEntry reads one central directory entry as archive/zip's readDirectoryHeader
// does: zip.ErrFormat or io.ErrUnexpectedEOF end the directory.
func readEntry(d *dirReader, e *centralEntry, keepName bool) error {
	b, err := d.next(46)
	if err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(b) != sigCentral {
		return zip.ErrFormat
	}
	e.creator = binary.LittleEndian.Uint16(b[4:])
	e.flags = binary.LittleEndian.Uint16(b[8:])
	e.method = binary.LittleEndian.Uint16(b[10:])
	e.crc = binary.LittleEndian.Uint32(b[16:])
	csize32 := binary.LittleEndian.Uint32(b[20:])
	usize32 := binary.LittleEndian.Uint32(b[24:])
	e.csize, e.usize = uint64(csize32), uint64(usize32)
	nameLen := int(binary.LittleEndian.Uint16(b[28:]))
	extraLen := int(binary.LittleEndian.Uint16(b[30:]))
	commentLen := int(binary.LittleEndian.Uint16(b[32:]))
	e.external = binary.LittleEndian.Uint32(b[38:])
	off32 := binary.LittleEndian.Uint32(b[42:])
	e.local = int64(off32)
	rest, err := d.next(nameLen + extraLen + commentLen)
	if err != nil {
		return err
	}
	if keepName {
		e.name = string(rest[:nameLen])
	}
	needU, needC, needOff := usize32 == ^uint32(0), csize32 == ^uint32(0), off32 == ^uint32(0)
	for extra := rest[nameLen : nameLen+extraLen]; len(extra) >= 4; {
		tag := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if len(extra) < n {
			break
		}
		field := extra[:n]
		extra = extra[n:]
		if tag != zip64ExtraID {
			continue
		}
		if needU {
			needU = false
			if len(field) < 8 {
				return zip.ErrFormat
			}
			e.usize = binary.LittleEndian.Uint64(field)
			field = field[8:]
		}
		if needC {
			needC = false
			if len(field) < 8 {
				return zip.ErrFormat
			}
			e.csize = binary.LittleEndian.Uint64(field)
			field = field[8:]
		}
		if needOff {
			needOff = false
			if len(field) < 8 {
				return zip.ErrFormat
			}
			e.local = int64(binary.LittleEndian.Uint64(field))
		}
	}
	// An uncompressed size of 2³²-1 without a zip64 extra is taken as it is (42.zip).
	if needC || needOff {
		return zip.ErrFormat
	}
	return nil
}

// readDirectory reads the central directory of the zip in s: its entries (at most
// maxMembers+1 of them are kept), how many there are and the base offset. Errors are
// archive/zip's.
func readDirectory(s *zipSource, maxMembers int) (entries []centralEntry, count int, base int64, err error) {
	start, base, records, err := directoryEnd(s)
	if err != nil {
		return nil, 0, 0, err
	}
	// Room for the entries the file could hold (46 bytes each at least).
	entries = make([]centralEntry, 0, min(records, uint64(s.size/46), uint64(maxMembers)+1))
	d := s.dirReader(start)
	for {
		var e centralEntry
		keep := count <= maxMembers
		err = readEntry(&d, &e, keep)
		if err == zip.ErrFormat || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, 0, 0, err
		}
		e.local += base
		if keep {
			entries = append(entries, e)
		}
		count++
	}
	if uint16(count) != uint16(records) { // archive/zip compares 16 bits only
		return nil, 0, 0, err
	}
	return entries, count, base, nil
}

// directoryEnd finds the central directory as archive/zip's readDirectoryEnd does: its
// start, the base offset (bytes in front of the zip proper) and its number of entries.
func directoryEnd(s *zipSource) (start, base int64, records uint64, err error) {
	buf := s.tail
	p := -1
	for _, n := range []int{1024, 65 * 1024} {
		n = min(n, len(buf))
		if p = findEnd(buf[len(buf)-n:]); p >= 0 {
			p += len(buf) - n
			break
		}
		if n == len(buf) {
			return 0, 0, 0, zip.ErrFormat
		}
	}
	if p < 0 {
		return 0, 0, 0, zip.ErrFormat
	}
	endOff := s.tailOff + int64(p)
	b := buf[p:]
	records = uint64(binary.LittleEndian.Uint16(b[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(b[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(b[16:]))
	if records == 0xffff || dirSize == 0xffff || dirOff == 0xffffffff {
		// The zip64 locator, just before the end record.
		if loc := endOff - 20; loc >= 0 {
			l, err := s.view(loc, 20, false, nil)
			if err != nil {
				return 0, 0, 0, err
			}
			if binary.LittleEndian.Uint32(l) == sigEnd64Loc && binary.LittleEndian.Uint32(l[4:]) == 0 && binary.LittleEndian.Uint32(l[16:]) == 1 {
				p64 := int64(binary.LittleEndian.Uint64(l[8:]))
				e, err := s.view(p64, 56, false, nil)
				if err != nil {
					return 0, 0, 0, err
				}
				if binary.LittleEndian.Uint32(e) != sigEnd64 {
					return 0, 0, 0, zip.ErrFormat
				}
				endOff = p64
				records = binary.LittleEndian.Uint64(e[32:])
				dirSize = binary.LittleEndian.Uint64(e[40:])
				dirOff = binary.LittleEndian.Uint64(e[48:])
			}
		}
	}
	// archive/zip takes any size and offset up to 2⁶³-1; one past the end of the file is
	// a lie.
	if dirSize > uint64(s.size) || dirOff > uint64(s.size) {
		return 0, 0, 0, errPastEnd
	}
	base = endOff - int64(dirSize) - int64(dirOff)
	if o := base + int64(dirOff); o < 0 || o >= s.size {
		return 0, 0, 0, zip.ErrFormat
	}
	// archive/zip takes base 0 when a directory entry can be read there.
	if base > 0 {
		var e centralEntry
		if d := s.dirReader(int64(dirOff)); readEntry(&d, &e, false) == nil {
			base = 0
		}
	}
	return base + int64(dirOff), base, records, nil
}

var errPastEnd = errors.New("central directory past the end of the file")

// findEnd returns the offset in b of the end record, as archive/zip's
// findSignatureInBlock: the last signature, if its comment fits in b; else -1.
func findEnd(b []byte) int {
	for i := len(b) - 22; i >= 0; i-- {
		if b[i] == 'P' && b[i+1] == 'K' && b[i+2] == 0x05 && b[i+3] == 0x06 {
			if n := int(b[i+20]) | int(b[i+21])<<8; n+22+i > len(b) {
				return -1 // a truncated comment
			}
			return i
		}
	}
	return -1
}
