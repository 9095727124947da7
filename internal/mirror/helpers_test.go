package mirror_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/testdist"
)

// dist describes a test distribution.
type dist struct {
	name, version  string
	tag            string   // wheel tag; "" = py3-none-any; "sdist" makes an sdist
	requires       []string // Requires-Dist
	requiresPython string
	extras         []string // Provides-Extra
	pad            []byte   // a member of these bytes (pkg/pad.bin) in a wheel, to make it large
}

func (d dist) filename() string {
	base := strings.ReplaceAll(d.name, "-", "_") + "-" + d.version
	if d.tag == "sdist" {
		return base + ".tar.gz"
	}
	tag := d.tag
	if tag == "" {
		tag = "py3-none-any"
	}
	return base + "-" + tag + ".whl"
}

func (d dist) metadata() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: test %s\n", d.name, d.version, d.name)
	if d.requiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", d.requiresPython)
	}
	for _, x := range d.extras {
		fmt.Fprintf(&b, "Provides-Extra: %s\n", x)
	}
	for _, r := range d.requires {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	return b.String() + "\n"
}

// write writes d into dir and returns its path: a valid wheel (METADATA, WHEEL, RECORD)
// or an sdist (PKG-INFO).
func (d dist) write(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, d.filename())
	var data []byte
	if d.tag == "sdist" {
		data = sdistOf(t, d)
	} else {
		data = wheelOf(t, d)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func wheelOf(t testing.TB, d dist) []byte {
	tag := d.tag
	if tag == "" {
		tag = "py3-none-any"
	}
	pkg := strings.ReplaceAll(d.name, "-", "_")
	di := pkg + "-" + d.version + ".dist-info/"
	members := [][2]string{
		{pkg + "/__init__.py", "VERSION = " + fmt.Sprintf("%q", d.version) + "\n"},
		{di + "METADATA", d.metadata()},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: " + tag + "\n"},
		{di + "top_level.txt", pkg + "\n"},
	}
	if d.pad != nil {
		members = append(members, [2]string{pkg + "/pad.bin", string(d.pad)})
	}
	b, err := testdist.WheelZip(di, members)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sdistOf(t testing.TB, d dist) []byte {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	root := strings.ReplaceAll(d.name, "-", "_") + "-" + d.version + "/"
	for _, m := range [][2]string{
		{root + "PKG-INFO", d.metadata()},
		{root + "setup.py", "from setuptools import setup\nsetup()\n"},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: m[0], Mode: 0o644, Size: int64(len(m[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(m[1]))
	}
	tw.Close()
	gz.Close()
	return b.Bytes()
}

func writeAll(t testing.TB, ds ...dist) []string {
	dir := t.TempDir()
	var out []string
	for _, d := range ds {
		out = append(out, d.write(t, dir))
	}
	return out
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sink is the index a sync writes into.
type sink struct {
	svc *index.Service
	m   *mirror.Mirror
}

func newSink(t testing.TB, o mirror.Options) *sink {
	t.Helper()
	db, blobs := backends.DataURLs(t.TempDir())
	return newSinkAt(t, o, db, blobs)
}

// newSinkAt is newSink on the given metadata database and blob store URLs.
func newSinkAt(t testing.TB, o mirror.Options, databaseURL, blobsURL string) *sink {
	t.Helper()
	ctx := context.Background()
	svc, closeFn, err := backends.Open(ctx, databaseURL, blobsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if o.TempDir == "" {
		o.TempDir = t.TempDir()
	}
	if o.RetryBackoff == 0 {
		o.RetryBackoff = 1
	}
	return &sink{svc: svc, m: mirror.New(svc, o)}
}

func (s *sink) remote(t testing.TB, r mirror.Remote) {
	t.Helper()
	if _, err := s.m.CreateRemote(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func (s *sink) sync(t testing.TB, req mirror.SyncRequest) *mirror.SyncResult {
	t.Helper()
	if req.Repository == "" {
		req.Repository = "main"
	}
	res, err := s.m.Sync(context.Background(), req, &recordRun{})
	if err != nil {
		t.Fatalf("sync: %v (result %+v)", err, res)
	}
	return res
}

// files returns the latest version's file rows of project, by filename.
func (s *sink) files(t testing.TB, project string) map[string]metastore.File {
	t.Helper()
	ctx := context.Background()
	r, err := s.svc.Store().Repository(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.svc.Store().ProjectFiles(ctx, r.ID, r.Latest, project)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]metastore.File{}
	for _, f := range fs {
		out[f.Filename] = f
	}
	return out
}

func (s *sink) latest(t testing.TB) int {
	r, err := s.svc.Store().Repository(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	return r.Latest
}

// recordRun is a mirror.Run that keeps what it is told.
type recordRun struct {
	mu   sync.Mutex
	last mirror.Progress
	logs []string
}

func (r *recordRun) SetProgress(p mirror.Progress) { r.mu.Lock(); r.last = p; r.mu.Unlock() }
func (r *recordRun) Logf(format string, a ...any) {
	r.mu.Lock()
	r.logs = append(r.logs, fmt.Sprintf(format, a...))
	r.mu.Unlock()
}

// testserverUpload uploads the file at path to the sink's main repository.
func testserverUpload(ctx context.Context, s *sink, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, _, err = s.svc.Upload(ctx, index.Upload{Repository: "main", Filename: filepath.Base(path), Content: bytes.NewReader(data)})
	return err
}
