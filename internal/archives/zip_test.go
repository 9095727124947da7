package archives

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

func TestZipValid(t *testing.T) {
	data := buildZip(t, []zipEntry{
		{name: "pkg/"},
		{name: "pkg/__init__.py", body: []byte("x = 1\n")},
		{name: "pkg/tool", body: []byte("#!/bin/sh\n"), mode: 0o755},
		{name: "pkg-1.0.dist-info/METADATA", body: []byte("Metadata-Version: 2.1\n"), method: zip.Store},
		{name: "implicit/dir/mod.py", body: []byte("")},
	})
	a, err := openZip(data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ms := a.Members()
	if len(ms) != 5 || ms[0].Name != "pkg" || !ms[0].Dir || ms[1].Name != "pkg/__init__.py" || ms[1].Size != 6 {
		t.Fatalf("members %+v", ms)
	}
	b, err := a.ReadFile("pkg/__init__.py")
	if err != nil || string(b) != "x = 1\n" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	if _, err := a.ReadFile("nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("missing member: %v", err)
	}
	if _, err := a.ReadFile("pkg"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("directory read: %v", err)
	}
	if err := Verify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := a.Extract(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "pkg/tool"))
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("extracted tool: %v %v", st, err)
	}
	st, err = os.Stat(filepath.Join(dir, "implicit/dir/mod.py"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("extracted mod.py: %v %v", st, err)
	}
	// Extracting twice into the same place does not overwrite.
	if err := a.Extract(context.Background(), dir); err == nil {
		t.Error("second Extract overwrote files")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Extract(ctx, t.TempDir()); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled Extract: %v", err)
	}
}

func TestZipHostile(t *testing.T) {
	small := Limits{MaxMembers: 10, MaxMemberSize: 1000, MaxTotalSize: 2500, MaxRatio: 200}
	zeros := bytes.Repeat([]byte{0}, 20<<20)
	valid := buildZip(t, []zipEntry{{name: "a.py", body: bytes.Repeat([]byte("abc"), 1000)}, {name: "b.py", body: []byte("b")}})
	var many []zipEntry
	for i := 0; i < 11; i++ {
		many = append(many, zipEntry{name: strings.Repeat("m", i+1)})
	}
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want error
		msg  string
	}{
		{"zip bomb", buildZip(t, []zipEntry{{name: "bomb", body: zeros}}), DefaultLimits(), errs.ErrInvalid, "compression ratio"},
		{"overall ratio", buildZip(t, []zipEntry{{name: "a", body: zeros[:900<<10]}, {name: "b", body: zeros[:900<<10]}}), DefaultLimits(), errs.ErrInvalid, "overall compression ratio"},
		{"dotdot", buildZip(t, []zipEntry{{name: "../evil.py"}}), DefaultLimits(), errs.ErrInvalid, "escapes the archive root"},
		{"inner dotdot", buildZip(t, []zipEntry{{name: "a/../../evil.py"}}), DefaultLimits(), errs.ErrInvalid, "escapes"},
		{"absolute", buildZip(t, []zipEntry{{name: "/etc/passwd"}}), DefaultLimits(), errs.ErrInvalid, "absolute"},
		{"drive", buildZip(t, []zipEntry{{name: "C:/x"}}), DefaultLimits(), errs.ErrInvalid, "drive letter"},
		{"backslash", buildZip(t, []zipEntry{{name: `a\..\..\x`}}), DefaultLimits(), errs.ErrInvalid, "backslash"},
		{"nul", buildZip(t, []zipEntry{{name: "a\x00b"}}), DefaultLimits(), errs.ErrInvalid, "NUL"},
		{"unclean", buildZip(t, []zipEntry{{name: "a//b"}}), DefaultLimits(), errs.ErrInvalid, "not a clean path"},
		{"dot", buildZip(t, []zipEntry{{name: "./a"}}), DefaultLimits(), errs.ErrInvalid, "not a clean path"},
		{"symlink", buildZip(t, []zipEntry{{name: "link", body: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}}), DefaultLimits(), errs.ErrInvalid, "symbolic link"},
		{"device", buildZip(t, []zipEntry{{name: "dev", mode: fs.ModeDevice | 0o644}}), DefaultLimits(), errs.ErrInvalid, "device"},
		{"fifo", buildZip(t, []zipEntry{{name: "fifo", mode: fs.ModeNamedPipe | 0o644}}), DefaultLimits(), errs.ErrInvalid, "FIFO"},
		{"duplicate", buildZip(t, []zipEntry{{name: "a.py"}, {name: "a.py"}}), DefaultLimits(), errs.ErrInvalid, "duplicate member"},
		{"file and dir", buildZip(t, []zipEntry{{name: "a"}, {name: "a/b"}}), DefaultLimits(), errs.ErrInvalid, "is a file and the directory"},
		{"too many", buildZip(t, many), small, errs.ErrTooLarge, "11 members"},
		{"oversized", buildZip(t, []zipEntry{{name: "big", body: make([]byte, 1001)}}), small, errs.ErrTooLarge, "over the limit of 1000"},
		{"total", buildZip(t, []zipEntry{{name: "a", body: make([]byte, 900)}, {name: "b", body: make([]byte, 900)}, {name: "c", body: make([]byte, 900)}}), small, errs.ErrTooLarge, "total uncompressed size"},
		{"truncated", valid[:len(valid)/2], DefaultLimits(), errs.ErrInvalid, "not a valid zip"},
		{"truncated tail", valid[:len(valid)-1], DefaultLimits(), errs.ErrInvalid, "not a valid zip"},
		{"garbage", []byte("this is not a zip file at all, just some text......"), DefaultLimits(), errs.ErrInvalid, "not a valid zip"},
		{"empty", nil, DefaultLimits(), errs.ErrInvalid, "not a valid zip"},
		{"tar.gz as zip", buildTarGz(t, []tarEntry{reg("a", "b")}), DefaultLimits(), errs.ErrInvalid, "not a valid zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openZip(tt.data, tt.lim)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %v, want %v containing %q", err, tt.want, tt.msg)
			}
		})
	}
}

// TestZipLyingHeader: a member whose header declares fewer bytes than it inflates to is
// stopped while reading.
func TestZipLyingHeader(t *testing.T) {
	body := bytes.Repeat([]byte{0}, 5<<20)
	var comp bytes.Buffer
	{
		zw := zip.NewWriter(&comp)
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "x", Method: zip.Deflate})
		w.Write(body)
		zw.Close()
	}
	// Re-create the member raw, copying the compressed bytes but declaring 100 bytes.
	zr, err := zip.NewReader(bytes.NewReader(comp.Bytes()), int64(comp.Len()))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := zr.File[0].OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := zr.File[0].FileHeader
	h.UncompressedSize64 = 100
	h.CRC32 = crc32.ChecksumIEEE(body[:100])
	w, err := zw.CreateRaw(&h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(mustRead(t, raw)); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	a, err := openZip(buf.Bytes(), DefaultLimits())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	_, err = a.ReadFile("x")
	if !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, errs.ErrTooLarge) {
		t.Fatalf("ReadFile of a lying member: %v", err)
	}
	if err := Verify(context.Background(), a); err == nil {
		t.Fatal("Verify accepted a lying member")
	}
}

func mustRead(t *testing.T, r interface{ Read([]byte) (int, error) }) []byte {
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestZipCorruptData: a zip whose central directory is intact but whose data is damaged
// opens, and fails when read.
func TestZipCorruptData(t *testing.T) {
	data := buildZip(t, []zipEntry{{name: "a.py", body: bytes.Repeat([]byte("hello world "), 100)}})
	bad := bytes.Clone(data)
	bad[40] ^= 0xff
	bad[41] ^= 0xff
	a, err := openZip(bad, DefaultLimits())
	if err != nil {
		return // also fine: rejected at open
	}
	if err := Verify(context.Background(), a); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("Verify of corrupt data: %v", err)
	}
}

// TestRealWheels opens every wheel Debian ships.
func TestRealWheels(t *testing.T) {
	wheels, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
	if len(wheels) == 0 {
		t.Fatal("no wheels in /usr/share/python-wheels (run `make test-deps`, which installs Debian's python3-pip-whl)")
	}
	for _, w := range wheels {
		data, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		a, err := openZip(data, DefaultLimits())
		if err != nil {
			t.Errorf("%s: %v", w, err)
			continue
		}
		if err := Verify(context.Background(), a); err != nil {
			t.Errorf("%s: %v", w, err)
		}
		if err := a.Extract(context.Background(), t.TempDir()); err != nil {
			t.Errorf("%s: %v", w, err)
		}
		t.Logf("%s: %d members", filepath.Base(w), len(a.Members()))
	}
}

func FuzzOpenZip(f *testing.F) {
	f.Add(buildZip(f, []zipEntry{{name: "a/b.py", body: []byte("x")}, {name: "a/"}}))
	f.Add(buildZip(f, []zipEntry{{name: "link", body: []byte("x"), mode: fs.ModeSymlink | 0o777}}))
	f.Add(buildZip(f, []zipEntry{{name: "s", body: []byte("stored"), method: zip.Store}}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxMembers: 100, MaxMemberSize: 1 << 20, MaxTotalSize: 4 << 20, MaxRatio: 200}
		a, err := openZip(data, lim)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, errs.ErrTooLarge) {
				t.Fatalf("error category: %v", err)
			}
			return
		}
		for _, m := range a.Members() {
			if _, _, err := cleanName(m.Name); err != nil || strings.HasSuffix(m.Name, "/") {
				t.Fatalf("unclean member %q", m.Name)
			}
		}
		if err := Verify(context.Background(), a); err != nil && !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, errs.ErrTooLarge) {
			t.Fatalf("Verify error category: %v", err)
		}
	})
}
