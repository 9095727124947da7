package server

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
)

const adminSecret = "pydepot-test-admin-token"

// testEnv is the real stack: index.Service on a temp SQLite and blob dir, behind New.
type testEnv struct {
	t     *testing.T
	srv   *httptest.Server
	svc   *index.Service
	data  string
	spool string
}

func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	return newEnvIn(t, cfg, t.TempDir(), t.TempDir())
}

// newEnvIn is newEnv with the data and spool folders given.
func newEnvIn(t *testing.T, cfg Config, data, spool string) *testEnv {
	t.Helper()
	ctx := context.Background()
	svc, closeFn, err := backends.OpenDir(ctx, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	return newEnvOn(t, cfg, svc, data, spool)
}

// newEnvOn is newEnvIn over a Service the test built (its own blob driver, say).
func newEnvOn(t *testing.T, cfg Config, svc *index.Service, data, spool string) *testEnv {
	t.Helper()
	ctx := context.Background()
	if err := svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Bootstrap(ctx, adminSecret); err != nil {
		t.Fatal(err)
	}
	cfg.TempDir = spool
	if cfg.StateTTL == 0 {
		cfg.StateTTL = -1 // tests change the index behind the server's back
	}
	h := New(svc, cfg, nil)
	srv := httptest.NewUnstartedServer(h)
	srv.Config = HTTPServer(h, cfg) // the connection limits serve uses
	srv.Start()
	t.Cleanup(srv.Close)
	return &testEnv{t: t, srv: srv, svc: svc, data: data, spool: spool}
}

// request sends a request; headers come as "Key: value" strings.
func (e *testEnv) request(method, path string, body io.Reader, headers ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func basic(token string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("__token__:"+token))
}

// form is a legacy upload form; fields override or (with "") remove the defaults.
type form struct {
	filename string
	content  []byte
	fields   map[string]string
}

// body encodes the form as twine does.
func (f form) body() (*bytes.Buffer, string) {
	sum := sha256.Sum256(f.content)
	name, version := nameVersion(f.filename)
	fields := map[string]string{
		":action": "file_upload", "protocol_version": "1", "name": name, "version": version,
		"sha256_digest": hex.EncodeToString(sum[:]), "metadata_version": "2.1", "summary": "test",
	}
	if strings.HasSuffix(f.filename, ".whl") {
		fields["filetype"] = "bdist_wheel"
	} else {
		fields["filetype"] = "sdist"
	}
	for k, v := range f.fields {
		if v == "" {
			delete(fields, k)
		} else {
			fields[k] = v
		}
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if f.content != nil {
		w, _ := mw.CreateFormFile("content", f.filename)
		_, _ = w.Write(f.content)
	}
	_ = mw.Close()
	return &b, mw.FormDataContentType()
}

// nameVersion guesses the form's name and version from a file name.
func nameVersion(filename string) (string, string) {
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(filename, ".whl"), ".tar.gz"), ".zip")
	parts := strings.Split(base, "-")
	if len(parts) < 2 {
		return base, ""
	}
	return parts[0], parts[1]
}

// upload posts a form to the legacy API at path with token (Basic).
func (e *testEnv) upload(path, token string, f form) (int, string) {
	e.t.Helper()
	b, ct := f.body()
	hdr := []string{"Content-Type: " + ct}
	if token != "" {
		hdr = append(hdr, basic(token))
	}
	resp := e.request(http.MethodPost, path, b, hdr...)
	return resp.StatusCode, readBody(e.t, resp)
}

// mustUpload uploads to /legacy/ as admin and fails the test unless it answers 200.
func (e *testEnv) mustUpload(filename string, content []byte) {
	e.t.Helper()
	if code, body := e.upload("/legacy/", adminSecret, form{filename: filename, content: content}); code != http.StatusOK {
		e.t.Fatalf("upload %s: %d %s", filename, code, body)
	}
}

// state is what must not change when an upload is refused.
type state struct {
	versions int
	files    []string
	blobs    []string
}

func (e *testEnv) state(repo string) state {
	e.t.Helper()
	ctx := context.Background()
	vs, err := e.svc.Versions(ctx, repo)
	if err != nil {
		e.t.Fatal(err)
	}
	var st state
	st.versions = len(vs)
	d := &index.Distribution{Repository: repo}
	ps, _, err := e.svc.Projects(ctx, d)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range ps {
		proj, err := e.svc.Project(ctx, d, p.Name)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, f := range proj.Files {
			st.files = append(st.files, f.Filename+"="+f.SHA256)
		}
	}
	_ = filepath.WalkDir(filepath.Join(e.data, "blobs"), func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			st.blobs = append(st.blobs, p)
		}
		return nil
	})
	return st
}

func (st state) String() string {
	return fmt.Sprintf("%d versions, files %v, %d blobs", st.versions, st.files, len(st.blobs))
}

// spoolEmpty waits until no spooled upload is left.
func (e *testEnv) spoolEmpty() error {
	deadline := time.Now().Add(3 * time.Second)
	for {
		left, _ := os.ReadDir(e.spool)
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("spool directory still holds %d files", len(left))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// member is one archive member of a test wheel.
type member struct {
	name string
	body string
	mode fs.FileMode // 0 means a regular file
}

// wheelOpts shape a test wheel.
type wheelOpts struct {
	metaName, metaVersion string // in METADATA; default from the file name
	requiresPython        string
	summary               string
	extra                 []member
	padding               int // bytes of incompressible data added
}

// makeWheel builds a small valid wheel NAME-VERSION-py3-none-any.whl.
func makeWheel(t testing.TB, name, version string, o wheelOpts) []byte {
	t.Helper()
	if o.metaName == "" {
		o.metaName = name
	}
	if o.metaVersion == "" {
		o.metaVersion = version
	}
	if o.summary == "" {
		o.summary = "A test package"
	}
	di := strings.ReplaceAll(name, "-", "_") + "-" + version + ".dist-info/"
	pkg := strings.ToLower(strings.ReplaceAll(name, "-", "_"))
	meta := "Metadata-Version: 2.1\nName: " + o.metaName + "\nVersion: " + o.metaVersion + "\nSummary: " + o.summary + "\n"
	if o.requiresPython != "" {
		meta += "Requires-Python: " + o.requiresPython + "\n"
	}
	members := []member{
		{name: pkg + "/__init__.py", body: "VALUE = 1\n"},
		{name: di + "METADATA", body: meta + "\n"},
		{name: di + "WHEEL", body: "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{name: di + "top_level.txt", body: pkg + "\n"},
	}
	if o.padding > 0 {
		pad := make([]byte, o.padding)
		_, _ = rand.NewChaCha8([32]byte{1}).Read(pad) // incompressible, reproducible
		h := sha256.Sum256(pad)
		members = append(members, member{name: pkg + "/data.bin", body: hex.EncodeToString(h[:]) + string(pad)})
	}
	members = append(members, o.extra...)
	var record strings.Builder
	for _, m := range members {
		sum := sha256.Sum256([]byte(m.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", m.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(m.body))
	}
	record.WriteString(di + "RECORD,,\n")
	members = append(members, member{name: di + "RECORD", body: record.String()})
	return zipOf(t, members)
}

func zipOf(t testing.TB, members []member) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		if m.mode != 0 {
			h.SetMode(m.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, m.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func wheelName(name, version string) string {
	return strings.ReplaceAll(name, "-", "_") + "-" + version + "-py3-none-any.whl"
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
