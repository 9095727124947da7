// Package hostile builds the pathological distribution files of the denial-of-service and
// integrity reports, for the tests that prove each is refused (or handled) within bounded
// time and memory and for the benchmark that measures the server on them
// (bench/bench-hostile.sh through bench/hostile). Every builder is deterministic.
package hostile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"strings"
)

// Metadata returns a core metadata file for name and version with extra header lines.
func Metadata(name, version string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)
	for _, e := range extra {
		b.WriteString(e)
		b.WriteString("\n")
	}
	return b.String()
}

// ContinuationLines is a valid METADATA for name 1.0 whose Keywords header goes on for n
// continuation lines of 3 bytes: 200,000 of them (600 KB) took the old quadratic parser
// a minute.
func ContinuationLines(name string, n int) string {
	var b strings.Builder
	b.Grow(64 + 3*n)
	b.WriteString(Metadata(name, "1.0", "Summary: continuation lines"))
	b.WriteString("Keywords: a\n")
	for range n {
		b.WriteString(" b\n")
	}
	b.WriteString("\nA description.\n")
	return b.String()
}

// TagSet is the compressed tag set "py0.py1...-a0.a1...-p0.p1..." with n names in each
// part: n*n*n tags once expanded. n = 450 makes a 7 KB file name of 91 million tags.
func TagSet(n int) string {
	part := func(prefix string) string {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		return strings.Join(names, ".")
	}
	return part("py") + "-" + part("a") + "-" + part("p")
}

// File is one member of a wheel.
type File struct {
	Name string
	Body io.Reader // nil: empty
}

// Wheel writes a wheel (a zip, deflated at best speed) holding files to w.
func Wheel(w io.Writer, files ...File) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate}
		h.SetMode(0o644)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if f.Body != nil {
			if _, err := io.Copy(fw, f.Body); err != nil {
				return err
			}
		}
	}
	return zw.Close()
}

// WheelBytes is Wheel into memory.
func WheelBytes(files ...File) []byte {
	var b bytes.Buffer
	if err := Wheel(&b, files...); err != nil {
		panic(err) // writing to memory does not fail
	}
	return b.Bytes()
}

// Minimal returns the members of a small valid wheel of name 1.0 with the given METADATA.
func Minimal(name, metadata string) []File {
	info := name + "-1.0.dist-info/"
	return []File{
		{Name: name + "/__init__.py", Body: strings.NewReader("")},
		{Name: info + "METADATA", Body: strings.NewReader(metadata)},
		{Name: info + "WHEEL", Body: strings.NewReader("Wheel-Version: 1.0\nGenerator: hostile\nRoot-Is-Purelib: true\nTag: py3-none-any\n")},
	}
}

// ContinuationWheel is the wheel name-1.0-py3-none-any.whl whose METADATA has n
// continuation lines.
func ContinuationWheel(name string, n int) []byte {
	return WheelBytes(Minimal(name, ContinuationLines(name, n))...)
}

// recordBlock is 1 MiB of distinct RECORD lines of about 1 KB, each like the one before
// it but for a few digits: RECORD repeats it, so that it deflates about 60:1, under the
// archive's compression ratio cap of 200 as a real attacker's RECORD would be (the
// report's: 1 GiB in a 12 MB wheel), and is quick to build.
func recordBlock() []byte {
	dir := strings.Repeat("d", 900)
	var b []byte
	for n := 0; len(b) < 1<<20; n++ {
		b = fmt.Appendf(b, "pkg/%s/m%06d.py,sha256=%043d,%d\n", dir, n, 0, n)
	}
	return b
}

// recordReader reads left bytes of repeated block.
type recordReader struct {
	left  int64
	block []byte
	off   int
}

func (r *recordReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	k := copy(p, r.block[r.off:])
	if int64(k) > r.left {
		k = int(r.left)
	}
	r.off = (r.off + k) % len(r.block)
	r.left -= int64(k)
	return k, nil
}

// BigRecordWheel writes the wheel name-1.0-py3-none-any.whl whose RECORD is size bytes
// (the report's: 1 GiB in a 12 MB wheel), with extra members, to w.
func BigRecordWheel(w io.Writer, name string, size int64, extra ...File) error {
	files := append(Minimal(name, Metadata(name, "1.0")), extra...)
	files = append(files, File{Name: name + "-1.0.dist-info/RECORD", Body: &recordReader{left: size, block: recordBlock()}})
	return Wheel(w, files...)
}

// LocalHeaderMismatch returns the wheel name-1.0-py3-none-any.whl whose central directory
// names name/__init__.py while that member's local header names a path of the same
// length that climbs out with "../" to etc/pwn: what the central directory checks is not
// what a streaming reader would unpack.
func LocalHeaderMismatch(name string) []byte {
	data := WheelBytes(Minimal(name, Metadata(name, "1.0"))...)
	member := name + "/__init__.py"
	evil := strings.Repeat("../", len(member)) + "etc/pwn"
	evil = evil[len(evil)-len(member):] // "evil/__init__.py" becomes "../../../etc/pwn"
	i := bytes.Index(data, []byte("PK\x03\x04"))
	if i < 0 || string(data[i+30:i+30+len(member)]) != member {
		panic("hostile: the first member is not " + member)
	}
	copy(data[i+30:], evil)
	return data
}
