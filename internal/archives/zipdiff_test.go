package archives

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

// zip64End rewrites a zip so that its end record defers to zip64 records (as writers do
// for more than 65,535 members or 4 GiB): a zip64 end record and its locator go in
// front of the end record, whose counts and offsets become 0xffff and 0xffffffff.
func zip64End(t testing.TB, data []byte) []byte {
	t.Helper()
	p := bytes.LastIndex(data, []byte("PK\x05\x06"))
	if p < 0 {
		t.Fatal("no end record")
	}
	end := data[p:]
	records := uint64(binary.LittleEndian.Uint16(end[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(end[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(end[16:]))
	out := bytes.Clone(data[:p])
	at := uint64(len(out))
	out = binary.LittleEndian.AppendUint32(out, sigEnd64)
	out = binary.LittleEndian.AppendUint64(out, 44)
	out = binary.LittleEndian.AppendUint16(out, 45)
	out = binary.LittleEndian.AppendUint16(out, 45)
	out = binary.LittleEndian.AppendUint32(out, 0)
	out = binary.LittleEndian.AppendUint32(out, 0)
	out = binary.LittleEndian.AppendUint64(out, records)
	out = binary.LittleEndian.AppendUint64(out, records)
	out = binary.LittleEndian.AppendUint64(out, dirSize)
	out = binary.LittleEndian.AppendUint64(out, dirOff)
	out = binary.LittleEndian.AppendUint32(out, sigEnd64Loc)
	out = binary.LittleEndian.AppendUint32(out, 0)
	out = binary.LittleEndian.AppendUint64(out, at)
	out = binary.LittleEndian.AppendUint32(out, 1)
	e := bytes.Clone(end)
	binary.LittleEndian.PutUint16(e[8:], 0xffff)
	binary.LittleEndian.PutUint16(e[10:], 0xffff)
	binary.LittleEndian.PutUint32(e[12:], 0xffffffff)
	binary.LittleEndian.PutUint32(e[16:], 0xffffffff)
	return append(out, e...)
}

// validSeeds is how many of the first referenceSeeds are valid zips.
const validSeeds = 8

// referenceSeeds are zips that exercise the corners of the central directory: data
// descriptors, stored members, bytes in front of the zip, zip64 end records, comments,
// extra fields, directories, and broken variants of them.
func referenceSeeds(t testing.TB) [][]byte {
	names := []string{"evil/__init__.py", "evil-1.0.dist-info/METADATA"}
	bodies := []string{"x = 1\n", "Metadata-Version: 2.1\n"}
	raw := rawZip(t, names, bodies)
	desc := buildZip(t, []zipEntry{{name: names[0], body: []byte(bodies[0])}, {name: "d/"}, {name: names[1], body: []byte(bodies[1])}, {name: "s", body: []byte("stored"), method: zip.Store}})
	var commented bytes.Buffer
	zw := zip.NewWriter(&commented)
	zw.SetComment("a comment")
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "a.py", Method: zip.Deflate, Comment: "member comment", Extra: []byte{0x55, 0x54, 5, 0, 1, 0, 0, 0, 0}})
	w.Write([]byte("print(1)\n"))
	zw.Close()
	seeds := [][]byte{
		raw, desc, commented.Bytes(),
		append([]byte("#!/bin/sh\nexit 0\n"), raw...),
		append([]byte("#!/bin/sh\nexit 0\n"), desc...),
		zip64End(t, raw), zip64End(t, desc),
		append(bytes.Clone(raw), "trailing"...), // the first validSeeds open and verify

		raw[:len(raw)-1], desc[:len(desc)/2],
		patchLocal(raw, 30, []byte("../../../etc/pwn")),
		[]byte("PK\x05\x06" + strings.Repeat("\x00", 18)),
	}
	// A truncated comment: archive/zip stops its search at the last signature.
	tc := bytes.Clone(raw)
	binary.LittleEndian.PutUint16(tc[len(tc)-2:], 5)
	seeds = append(seeds, tc)
	return seeds
}

// TestZipReferenceSeeds runs the comparison of FuzzZipReference on its seeds and on the
// committed corpora of both fuzz targets of zips.
func TestZipReferenceSeeds(t *testing.T) {
	seeds := referenceSeeds(t)
	for i, s := range seeds[:validSeeds] {
		a, err := openZip(s, DefaultLimits())
		if err == nil {
			err = Verify(context.Background(), a)
		}
		if err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
	}
	for _, dir := range []string{"testdata/fuzz/FuzzOpenZip", "testdata/fuzz/FuzzZipReference"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if data, ok := corpusBytes(b); ok {
				seeds = append(seeds, data)
			}
		}
	}
	for i, s := range seeds {
		t.Run(fmt.Sprint(i), func(t *testing.T) { compareReference(t, s) })
	}
}

// corpusBytes decodes a corpus file of one []byte.
func corpusBytes(b []byte) ([]byte, bool) {
	_, v, ok := strings.Cut(string(b), "\n[]byte(")
	if !ok {
		return nil, false
	}
	v = strings.TrimSuffix(strings.TrimSpace(v), ")")
	var s string
	if _, err := fmt.Sscanf(v, "%q", &s); err != nil {
		return nil, false
	}
	return []byte(s), true
}

// FuzzZipReference: the reader of zip.go accepts what archive/zip and the reader this
// package had before (zipref_test.go) accept, no more, and reads the same members and
// bytes; it refuses with the same category.
func FuzzZipReference(f *testing.F) {
	for _, s := range referenceSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(compareReference)
}

func category(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errs.ErrTooLarge):
		return "too large"
	case errors.Is(err, errs.ErrInvalid):
		return "invalid"
	}
	return "other: " + err.Error()
}

func compareReference(t *testing.T, data []byte) {
	lim := Limits{MaxMembers: 100, MaxMemberSize: 1 << 20, MaxTotalSize: 4 << 20, MaxRatio: 200}
	ctx := context.Background()
	na, nerr := openZip(data, lim)
	oa, oerr := refOpenZip(bytes.NewReader(data), int64(len(data)), lim)
	zr, zerr := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if zerr != nil && !errors.Is(zerr, zip.ErrInsecurePath) {
		zr = nil
	}
	if nerr != nil {
		if oerr == nil {
			t.Fatalf("OpenZip refuses (%v), the old reader accepted", nerr)
		}
		if category(nerr) != category(oerr) {
			t.Fatalf("OpenZip: %v; the old reader: %v", nerr, oerr)
		}
		return
	}
	if zr == nil {
		t.Fatalf("OpenZip accepts, archive/zip refuses: %v", zerr)
	}
	z := na.(*zipArchive)
	if len(z.entries) != len(zr.File) {
		t.Fatalf("%d entries, archive/zip %d", len(z.entries), len(zr.File))
	}
	for i, f := range zr.File {
		e := &z.entries[i]
		if e.name != f.Name || e.flags != f.Flags || e.method != f.Method || e.crc != f.CRC32 ||
			e.csize != f.CompressedSize64 || e.usize != f.UncompressedSize64 || e.mode() != f.Mode() {
			t.Fatalf("entry %d: %+v (mode %v), archive/zip %+v", i, *e, e.mode(), f.FileHeader)
		}
		if data, err := checkLocal(&z.src, e, nil); err == nil {
			if zoff, err := f.DataOffset(); err != nil || zoff != data {
				t.Fatalf("entry %d: data at %d, archive/zip %d (%v)", i, data, zoff, err)
			}
		}
	}
	if oerr != nil {
		// Only the old second walk of the directory, which could disagree with
		// archive/zip's, refused more.
		if !strings.Contains(oerr.Error(), "central directory") && !strings.Contains(oerr.Error(), "zip64") {
			t.Fatalf("OpenZip accepts, the old reader refused: %v", oerr)
		}
		return
	}
	nm, om := na.Members(), oa.Members()
	if fmt.Sprint(nm) != fmt.Sprint(om) {
		t.Fatalf("members %v, the old reader %v", nm, om)
	}
	// Each member read whole, then Verify (which skips what was read), and Verify of a
	// fresh archive: the same outcomes.
	for _, m := range nm {
		if m.Dir {
			continue
		}
		nb, nerr := na.ReadFile(m.Name)
		ob, oerr := oa.ReadFile(m.Name)
		if category(nerr) != category(oerr) || !bytes.Equal(nb, ob) {
			t.Fatalf("ReadFile(%q): %q, %v; the old reader %q, %v", m.Name, nb, nerr, ob, oerr)
		}
	}
	nv, ov := Verify(ctx, na), Verify(ctx, oa)
	if category(nv) != category(ov) {
		t.Fatalf("Verify after reading: %v; the old reader %v", nv, ov)
	}
	fresh, err := openZip(data, lim)
	if err != nil {
		t.Fatal(err)
	}
	if fv := Verify(ctx, fresh); category(fv) != category(ov) {
		t.Fatalf("Verify: %v; the old reader %v", fv, ov)
	}
}
