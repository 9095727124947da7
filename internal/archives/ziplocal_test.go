package archives

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

// rawZip writes members without data descriptors (sizes and CRC in the local header), as
// Python's zipfile and most wheel builders do.
func rawZip(t testing.TB, names []string, bodies []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, n := range names {
		b := []byte(bodies[i])
		h := &zip.FileHeader{Name: n, Method: zip.Store, CRC32: crc32.ChecksumIEEE(b),
			CompressedSize64: uint64(len(b)), UncompressedSize64: uint64(len(b))}
		h.SetMode(0o644)
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// patchLocal changes the first local header of data: at (offset from the signature) put v.
func patchLocal(data []byte, at int, v []byte) []byte {
	out := bytes.Clone(data)
	i := bytes.Index(out, []byte("PK\x03\x04"))
	copy(out[i+at:], v)
	return out
}

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// TestZipLocalHeaderMismatch: an archive whose local headers disagree with its central
// directory is refused when the member is opened (Verify opens all), whatever field
// differs. The old reader trusted the central directory only and accepted them all.
func TestZipLocalHeaderMismatch(t *testing.T) {
	names := []string{"evil/__init__.py", "evil-1.0.dist-info/METADATA"}
	bodies := []string{"x = 1\n", "Metadata-Version: 2.1\n"}
	raw := rawZip(t, names, bodies)
	desc := buildZip(t, []zipEntry{{name: names[0], body: []byte(bodies[0])}, {name: names[1], body: []byte(bodies[1])}})
	// In desc (Go's writer), the first member's data descriptor follows its deflated data.
	descAt := func(data []byte) int {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		off, _ := zr.File[0].DataOffset()
		return int(off) + int(zr.File[0].CompressedSize64)
	}(desc)
	patchDesc := func(at int, v []byte) []byte {
		out := bytes.Clone(desc)
		copy(out[descAt+at:], v)
		return out
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"name", patchLocal(raw, 30, []byte("../../../etc/pwn")), `local header says name "../../../etc/pwn"`},
		{"name (data descriptor zip)", patchLocal(desc, 30, []byte("../../../etc/pwn")), `name "../../../etc/pwn"`},
		{"method", patchLocal(raw, 8, le16(zip.Deflate)), "says method 8"},
		{"crc", patchLocal(raw, 14, le32(1)), "CRC-32"},
		{"compressed size", patchLocal(raw, 18, le32(5)), "compressed size 5"},
		{"size", patchLocal(raw, 22, le32(5)), "says size 5"},
		{"encryption flag", patchLocal(raw, 6, le16(1)), "encryption flag"},
		{"descriptor size", patchDesc(12, le32(99)), "data descriptor"},
		{"descriptor crc", patchDesc(4, le32(99)), "data descriptor"},
		{"local size in a descriptor zip", patchLocal(desc, 22, le32(99)), "says size 99"},
		{"no local header", patchLocal(raw, 0, []byte("XXXX")), "no local header"},
	} {
		a, err := openZip(tc.data, DefaultLimits())
		if err == nil {
			err = Verify(context.Background(), a)
		}
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalid saying %q", tc.name, err, tc.want)
		}
	}
	// The unpatched archives, and one with bytes in front of the zip (a base offset), pass.
	for name, data := range map[string][]byte{"raw": raw, "descriptor": desc, "prefixed": append([]byte("#!/bin/sh\nexit 0\n"), raw...)} {
		a, err := openZip(data, DefaultLimits())
		if err == nil {
			err = Verify(context.Background(), a)
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestZipLocalHeaderPython: zips from Python's zipfile, zip64 included, pass the check.
func TestZipLocalHeaderPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("no python3 on PATH: the comparison with Python's zipfile needs it")
	}
	dir := t.TempDir()
	script := `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a/b.py", "x = 1\n" * 100)
    with z.open("big.bin", "w", force_zip64=True) as f:
        f.write(b"y" * 70000)
    z.writestr("c.txt", b"")
with open(sys.argv[2], "wb") as out:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("s.txt", "stored")
`
	z1, z2 := filepath.Join(dir, "a.zip"), filepath.Join(dir, "b.zip")
	if out, err := exec.Command(py, "-c", script, z1, z2).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, p := range []string{z1, z2} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		a, err := openZip(data, DefaultLimits())
		if err == nil {
			err = Verify(context.Background(), a)
		}
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
}
