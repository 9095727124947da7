package archives

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"sync"
	"sync/atomic"

	"github.com/pydepot/pydepot/internal/errs"
)

type zipArchive struct {
	index
	src     zipSource
	entries []centralEntry // parallel to index.members (zero for directories)
	lim     Limits
}

// OpenZip validates and opens a zip archive.
func OpenZip(r io.ReaderAt, size int64, lim Limits) (Archive, error) {
	src, err := newZipSource(r, size)
	if err != nil {
		return nil, err
	}
	entries, count, base, err := readDirectory(&src, lim.MaxMembers)
	if err != nil {
		return nil, invalidf("not a valid zip archive: %v", err)
	}
	if count > lim.MaxMembers {
		return nil, tooLargef("%d members, over the limit of %d", count, lim.MaxMembers)
	}
	for i := range entries {
		if off := entries[i].local - base; uint64(off) > uint64(size) {
			return nil, invalidf("member %q: local header offset %d is past the end of the file", entries[i].name, off)
		}
	}
	a := &zipArchive{src: src, entries: entries, lim: lim}
	a.index.grow(len(entries))
	var total uint64
	for i := range entries {
		f := &entries[i]
		name, dirSlash, err := cleanName(f.name)
		if err != nil {
			return nil, err
		}
		mode := f.mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			return nil, invalidf("member %q is a symbolic link", f.name)
		case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeIrregular) != 0:
			return nil, invalidf("member %q is a device, FIFO or socket", f.name)
		}
		dir := dirSlash || mode.IsDir()
		if f.flags&flagEncrypted != 0 {
			return nil, invalidf("member %q is encrypted", f.name)
		}
		if f.method != zip.Store && f.method != zip.Deflate {
			return nil, invalidf("member %q uses unsupported compression method %d", f.name, f.method)
		}
		if dir && f.usize != 0 {
			return nil, invalidf("directory member %q has content", f.name)
		}
		if f.csize > uint64(size) {
			return nil, invalidf("member %q claims %d compressed bytes in a %d byte file", f.name, f.csize, size)
		}
		if f.usize > uint64(lim.MaxMemberSize) {
			return nil, tooLargef("member %q is %d bytes, over the limit of %d", f.name, f.usize, lim.MaxMemberSize)
		}
		if f.usize > ratioFloor && float64(f.usize) > lim.MaxRatio*float64(max(f.csize, 1)) {
			return nil, invalidf("member %q compression ratio %.0f is over the limit of %.0f (a decompression bomb)", f.name,
				float64(f.usize)/float64(max(f.csize, 1)), lim.MaxRatio)
		}
		total += f.usize
		if total > uint64(lim.MaxTotalSize) {
			return nil, tooLargef("total uncompressed size over the limit of %d bytes", lim.MaxTotalSize)
		}
		if err := a.add(Member{Name: name, Size: int64(f.usize), Mode: maskMode(mode, dir), Dir: dir}); err != nil {
			return nil, err
		}
	}
	if total > ratioFloor && float64(total) > lim.MaxRatio*float64(max(size, 1)) {
		return nil, invalidf("overall compression ratio %.0f is over the limit of %.0f (a decompression bomb)", float64(total)/float64(size), lim.MaxRatio)
	}
	return a, nil
}

func (a *zipArchive) Open(name string) (io.ReadCloser, error) {
	z := &zipReader{}
	if err := a.open(name, z); err != nil {
		return nil, err
	}
	return z, nil
}

// open opens the member name into z.
func (a *zipArchive) open(name string, z *zipReader) error {
	i, err := a.lookupIndex(name)
	if err != nil {
		return err
	}
	f := &a.entries[i]
	data, err := checkLocal(&a.src, f, z.hdr[:])
	if err != nil {
		return err
	}
	*z = zipReader{a: a, i: i, name: name, declared: int64(f.usize), compressed: int64(f.csize)}
	var body interface {
		io.Reader
		io.ByteReader
	}
	mem, ok := a.src.inMemory(data, int64(f.csize))
	if ok {
		z.mem.Reset(mem)
		body = &z.mem
	} else {
		z.sec = *io.NewSectionReader(a.src.r, data, int64(f.csize))
	}
	if f.method == zip.Store {
		if ok {
			z.r = body
		} else {
			z.r = &z.sec
		}
		return nil
	}
	z.fl = inflaters.Get().(*inflater)
	if !ok {
		z.fl.br.Reset(&z.sec)
		body = z.fl.br
	}
	if err := z.fl.fr.(flate.Resetter).Reset(body, nil); err != nil {
		z.Close()
		return invalidf("member %q: %v", name, err)
	}
	z.r = z.fl.fr
	return nil
}

// zipReaders holds the readers of members read by this package and closed at once
// (ReadFileMax, Verify): a cache, not state.
var zipReaders = sync.Pool{New: func() any { return new(zipReader) }}

// pooledReader is a member reader that goes back to zipReaders when closed (once).
type pooledReader struct{ z *zipReader }

func (p pooledReader) Read(b []byte) (int, error) { return p.z.Read(b) }

func (p pooledReader) Close() error {
	p.z.Close()
	*p.z = zipReader{}
	zipReaders.Put(p.z)
	return nil
}

// openOnce opens the member name of a for this package's own reads, which close it
// once and do not keep it: a zip member's reader comes from a pool.
func openOnce(a Archive, name string) (io.ReadCloser, error) {
	za, ok := a.(*zipArchive)
	if !ok {
		return a.Open(name)
	}
	z := zipReaders.Get().(*zipReader)
	if err := za.open(name, z); err != nil {
		zipReaders.Put(z)
		return nil, err
	}
	return pooledReader{z}, nil
}

func (a *zipArchive) ReadFile(name string) ([]byte, error) {
	return ReadFileMax(a, name, MaxReadFile)
}

func (a *zipArchive) Extract(ctx context.Context, dir string) error {
	return extract(ctx, dir, &a.index, a.Open)
}

func (a *zipArchive) Close() error { return nil }

// readWhole reports whether member i was read to its end, every check passed (Verify
// need not read it again: the bytes are the same).
func (a *zipArchive) readWhole(i int) bool {
	return i < len(a.entries) && atomic.LoadUint32(&a.entries[i].whole) == 1
}

// inflater is a deflate decompressor (some 40 KiB of tables and window) with a buffer
// for data read through ReadAt; they are reused from one member to the next, as
// archive/zip does, rather than made for each of the members of thousands of wheels.
type inflater struct {
	fr io.ReadCloser // a flate.Resetter
	br *bufio.Reader
}

// inflaters is a cache, not state: a member takes a free decompressor or makes one.
var inflaters = sync.Pool{New: func() any {
	return &inflater{fr: flate.NewReader(eofReader{}), br: bufio.NewReaderSize(eofReader{}, 4096)}
}}

// eofReader is an empty flate.Reader: what a decompressor in the pool reads.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
func (eofReader) ReadByte() (byte, error)  { return 0, io.EOF }

// zipReader reads one member: it inflates it, counts the bytes actually inflated and
// stops at the member size cap, the declared size and the compression ratio, whatever
// the headers said; at the end it checks the size and the CRC-32 (as archive/zip, not a
// CRC-32 of zero: some writers leave it so).
type zipReader struct {
	a          *zipArchive
	i          int
	name       string
	r          io.Reader
	fl         *inflater        // nil for a stored member
	mem        bytes.Reader     // the member's bytes in memory
	sec        io.SectionReader // else where they are
	hdr        [256]byte        // the local header, when it is read
	crc        uint32
	n          int64
	declared   int64
	compressed int64
	err        error
}

func (z *zipReader) Read(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	n, err := z.r.Read(p)
	z.n += int64(n)
	z.crc = crc32.Update(z.crc, crc32.IEEETable, p[:n])
	lim := z.a.lim
	switch {
	case z.n > lim.MaxMemberSize:
		z.err = tooLargef("member %q is over the limit of %d bytes", z.name, lim.MaxMemberSize)
	case z.n > z.declared:
		z.err = invalidf("member %q holds more than its declared %d bytes", z.name, z.declared)
	case z.n > ratioFloor && float64(z.n) > lim.MaxRatio*float64(max(z.compressed, 1)):
		z.err = invalidf("member %q compression ratio is over the limit of %.0f (a decompression bomb)", z.name, lim.MaxRatio)
	case err == io.EOF:
		f := &z.a.entries[z.i]
		switch {
		case z.n != z.declared:
			z.err = fmt.Errorf("archive: member %q: %v: %w", z.name, io.ErrUnexpectedEOF, errs.ErrInvalid)
		case f.crc != 0 && z.crc != f.crc:
			z.err = fmt.Errorf("archive: member %q: %v: %w", z.name, zip.ErrChecksum, errs.ErrInvalid)
		default:
			atomic.StoreUint32(&z.a.entries[z.i].whole, 1)
			z.err = io.EOF
		}
	case err != nil:
		z.err = fmt.Errorf("archive: member %q: %v: %w", z.name, err, errs.ErrInvalid)
	}
	return n, z.err
}

func (z *zipReader) Close() error {
	if z.fl != nil {
		// Not reset here: a Reset copies some 10 KiB of tables, and the next Open
		// resets it anyway (it keeps the member's bytes, at most tailSize, meanwhile).
		z.fl.br.Reset(eofReader{})
		inflaters.Put(z.fl)
		z.fl = nil
	}
	if z.err == nil || z.err == io.EOF {
		z.err = errClosed
	}
	return nil
}

var errClosed = errors.New("archive: read of a closed member")
