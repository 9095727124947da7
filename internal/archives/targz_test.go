package archives

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

func TestTarGzValid(t *testing.T) {
	big := make([]byte, 6<<20) // crosses the spool's memory part
	rand.Read(big)
	data := buildTarGz(t, []tarEntry{
		{hdr: tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}},
		{hdr: tar.Header{Name: "./pkg-1.0/", Typeflag: tar.TypeDir, Mode: 0o755}},
		reg("./pkg-1.0/PKG-INFO", "Metadata-Version: 2.1\n"),
		{hdr: tar.Header{Name: "pkg-1.0/big.bin", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(big))}, body: big},
		reg("pkg-1.0/src/pkg/__init__.py", "y = 2\n"),
		{hdr: tar.Header{Name: "global", Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "x"}}},
	})
	a, err := openTarGz(data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var names []string
	for _, m := range a.Members() {
		names = append(names, m.Name)
	}
	if got := strings.Join(names, " "); got != "pkg-1.0 pkg-1.0/PKG-INFO pkg-1.0/big.bin pkg-1.0/src/pkg/__init__.py" {
		t.Fatalf("members %s", got)
	}
	b, err := a.ReadFile("pkg-1.0/big.bin")
	if err != nil || sha256.Sum256(b) != sha256.Sum256(big) {
		t.Fatalf("big member differs: %v", err)
	}
	b, err = a.ReadFile("pkg-1.0/src/pkg/__init__.py")
	if err != nil || string(b) != "y = 2\n" {
		t.Fatalf("ReadFile after the spool spilled = %q, %v", b, err)
	}
	if _, err := a.ReadFile("pkg-1.0/missing"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	if err := Verify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := a.Extract(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "pkg-1.0/big.bin"))
	if err != nil || st.Size() != int64(len(big)) || st.Mode().Perm() != 0o755 {
		t.Errorf("extracted big.bin: %v %v", st, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTarGzHostile(t *testing.T) {
	small := Limits{MaxMembers: 3, MaxMemberSize: 1000, MaxTotalSize: 2500, MaxRatio: 200}
	valid := buildTarGz(t, []tarEntry{reg("p-1/a.py", strings.Repeat("some python source\n", 200)), reg("p-1/b.py", "b")})
	zeros := make([]byte, 30<<20)
	var gzGarbage bytes.Buffer
	zw := gzip.NewWriter(&gzGarbage)
	zw.Write([]byte(strings.Repeat("not a tar header ", 100)))
	zw.Close()
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want error
		msg  string
	}{
		{"bomb", buildTarGz(t, []tarEntry{{hdr: tar.Header{Name: "z", Typeflag: tar.TypeReg, Size: int64(len(zeros))}, body: zeros}}), DefaultLimits(), errs.ErrInvalid, "compression ratio"},
		{"dotdot", buildTarGz(t, []tarEntry{reg("../evil", "x")}), DefaultLimits(), errs.ErrInvalid, "escapes the archive root"},
		{"inner dotdot", buildTarGz(t, []tarEntry{reg("p-1/../../evil", "x")}), DefaultLimits(), errs.ErrInvalid, "escapes"},
		{"absolute", buildTarGz(t, []tarEntry{reg("/etc/cron.d/x", "x")}), DefaultLimits(), errs.ErrInvalid, "absolute path"},
		{"backslash", buildTarGz(t, []tarEntry{reg(`p-1\..\x`, "x")}), DefaultLimits(), errs.ErrInvalid, "backslash"},
		{"symlink", buildTarGz(t, []tarEntry{{hdr: tar.Header{Name: "p-1/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}}}), DefaultLimits(), errs.ErrInvalid, "symbolic link"},
		{"hardlink", buildTarGz(t, []tarEntry{reg("p-1/a", "x"), {hdr: tar.Header{Name: "p-1/b", Typeflag: tar.TypeLink, Linkname: "p-1/a"}}}), DefaultLimits(), errs.ErrInvalid, "hard link"},
		{"char device", buildTarGz(t, []tarEntry{{hdr: tar.Header{Name: "p-1/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}}}), DefaultLimits(), errs.ErrInvalid, "device"},
		{"block device", buildTarGz(t, []tarEntry{{hdr: tar.Header{Name: "p-1/sda", Typeflag: tar.TypeBlock}}}), DefaultLimits(), errs.ErrInvalid, "device"},
		{"fifo", buildTarGz(t, []tarEntry{{hdr: tar.Header{Name: "p-1/fifo", Typeflag: tar.TypeFifo}}}), DefaultLimits(), errs.ErrInvalid, "FIFO"},
		{"duplicate", buildTarGz(t, []tarEntry{reg("p-1/a", "1"), reg("p-1/a", "2")}), DefaultLimits(), errs.ErrInvalid, "duplicate member"},
		{"file and dir", buildTarGz(t, []tarEntry{reg("p-1/a", "1"), reg("p-1/a/b", "2")}), DefaultLimits(), errs.ErrInvalid, "is a file and the directory"},
		{"too many", buildTarGz(t, []tarEntry{reg("a", ""), reg("b", ""), reg("c", ""), reg("d", "")}), small, errs.ErrTooLarge, "more than 3 members"},
		{"oversized", buildTarGz(t, []tarEntry{reg("a", strings.Repeat("x", 1001))}), small, errs.ErrTooLarge, "over the limit of 1000"},
		{"total", buildTarGz(t, []tarEntry{reg("a", strings.Repeat("x", 900)), reg("b", strings.Repeat("x", 900)), reg("c", strings.Repeat("x", 900))}), small, errs.ErrTooLarge, "total uncompressed size"},
		{"truncated", valid[:len(valid)/2], DefaultLimits(), errs.ErrInvalid, "truncated"},
		{"truncated tail", valid[:len(valid)-4], DefaultLimits(), errs.ErrInvalid, ""},
		{"garbage", []byte("definitely not gzip data, just text"), DefaultLimits(), errs.ErrInvalid, "not a gzip stream"},
		{"gzip of garbage", gzGarbage.Bytes(), DefaultLimits(), errs.ErrInvalid, ""},
		{"empty gzip", buildTarGz(t, nil), DefaultLimits(), errs.ErrInvalid, "empty tar archive"},
		{"zip as tar.gz", buildZip(t, []zipEntry{{name: "a"}}), DefaultLimits(), errs.ErrInvalid, "not a gzip stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := openTarGz(tt.data, tt.lim)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %v, want %v containing %q", err, tt.want, tt.msg)
			}
			if a != nil {
				a.Close()
			}
			// The one-pass extractor applies the same rules.
			err = ExtractTarGz(context.Background(), bytes.NewReader(tt.data), t.TempDir(), tt.lim)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("ExtractTarGz error = %v, want %v containing %q", err, tt.want, tt.msg)
			}
		})
	}
}

// TestTarGzCorruptChecksum: flipping a byte in the gzip trailer is detected.
func TestTarGzCorruptChecksum(t *testing.T) {
	data := buildTarGz(t, []tarEntry{reg("p-1/a.py", "hello\n")})
	bad := bytes.Clone(data)
	bad[len(bad)-6] ^= 0xff // CRC32 of the trailer
	if _, err := openTarGz(bad, DefaultLimits()); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad checksum: %v", err)
	}
}

// TestTarGzRealSdist opens an sdist produced by Python's tarfile, as setuptools writes it.
func TestTarGzRealSdist(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "demo-1.0.tar.gz")
	script := `import tarfile, io, sys
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT) as tf:
    for name, body in [("demo-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"),
                       ("demo-1.0/" + "x" * 120 + ".py", b"long name\n"),
                       ("demo-1.0/src/demo/__init__.py", b"")]:
        ti = tarfile.TarInfo(name); ti.size = len(body); ti.mode = 0o644
        tf.addfile(ti, io.BytesIO(body))
`
	if out, err := runPython(script, out); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	a, err := OpenTarGz(context.Background(), f, st.Size(), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if len(a.Members()) != 3 || a.Members()[1].Name != "demo-1.0/"+strings.Repeat("x", 120)+".py" {
		t.Errorf("members %+v", a.Members())
	}
}

func runPython(script string, args ...string) ([]byte, error) {
	return execCommand("python3", append([]string{"-c", script}, args...)...)
}

func FuzzOpenTarGz(f *testing.F) {
	f.Add(buildTarGz(f, []tarEntry{reg("p-1/PKG-INFO", "Metadata-Version: 2.1\n"), {hdr: tar.Header{Name: "p-1/", Typeflag: tar.TypeDir}}}))
	f.Add(buildTarGz(f, []tarEntry{{hdr: tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/"}}}))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxMembers: 100, MaxMemberSize: 1 << 20, MaxTotalSize: 4 << 20, MaxRatio: 200}
		a, err := openTarGz(data, lim)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, errs.ErrTooLarge) {
				t.Fatalf("error category: %v", err)
			}
			return
		}
		defer a.Close()
		for _, m := range a.Members() {
			if _, _, err := cleanName(m.Name); err != nil {
				t.Fatalf("unclean member %q", m.Name)
			}
			if !m.Dir {
				b, err := a.ReadFile(m.Name)
				if err != nil || int64(len(b)) != m.Size {
					t.Fatalf("ReadFile(%q): %d bytes, %v", m.Name, len(b), err)
				}
			}
		}
	})
}

func TestExtractStream(t *testing.T) {
	data := buildTarGz(t, []tarEntry{
		{hdr: tar.Header{Name: "env/", Typeflag: tar.TypeDir, Mode: 0o755}},
		{hdr: tar.Header{Name: "env/bin/python", Typeflag: tar.TypeReg, Mode: 0o755, Size: 4}, body: []byte("\x7fELF")},
		reg("env/lib/site.py", "import os\n"),
	})
	for _, tc := range []struct {
		name string
		run  func(dir string) error
	}{
		{"gz", func(dir string) error {
			return ExtractTarGz(context.Background(), bytes.NewReader(data), dir, DefaultLimits())
		}},
		{"tar", func(dir string) error {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return err
			}
			return ExtractTar(context.Background(), zr, dir, DefaultLimits())
		}},
	} {
		dir := t.TempDir()
		if err := tc.run(dir); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		st, err := os.Stat(filepath.Join(dir, "env/bin/python"))
		if err != nil || st.Mode().Perm() != 0o755 || st.Size() != 4 {
			t.Errorf("%s: python %v %v", tc.name, st, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "env/lib/site.py"))
		if err != nil || string(b) != "import os\n" {
			t.Errorf("%s: site.py %q %v", tc.name, b, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ExtractTarGz(ctx, bytes.NewReader(data), t.TempDir(), DefaultLimits()); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}
