package simpleindex_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

func realWheels(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob("/usr/share/python-wheels/*.whl")
	if err != nil || len(paths) < 3 {
		t.Fatalf("need the wheels in /usr/share/python-wheels (run `make test-deps`, which installs Debian's python3-pip-whl and python3-setuptools-whl): %v", err)
	}
	return paths
}

func pick(t testing.TB, paths []string, prefix string) string {
	for _, p := range paths {
		if strings.HasPrefix(filepath.Base(p), prefix) {
			return p
		}
	}
	t.Fatalf("no wheel %s*", prefix)
	return ""
}

func TestProjectJSONAndHTML(t *testing.T) {
	paths := realWheels(t)
	for _, htmlOnly := range []bool{false, true} {
		srv := indextest.New(t, paths, indextest.Options{HTML: htmlOnly})
		c, err := simpleindex.New([]string{srv.SimpleURL}, srv.Client(), simpleindex.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			name := strings.SplitN(filepath.Base(p), "-", 2)[0]
			page, err := c.Project(context.Background(), strings.ToUpper(name))
			if err != nil {
				t.Fatalf("html=%v %s: %v", htmlOnly, name, err)
			}
			if len(page.Files) != 1 {
				t.Fatalf("html=%v %s: %d files", htmlOnly, name, len(page.Files))
			}
			f := page.Files[0]
			if f.Filename != filepath.Base(p) || f.SHA256() != srv.SHA256(f.Filename) || !f.CoreMetadata ||
				f.URL != srv.URL+"/files/"+f.Filename || f.Index != srv.SimpleURL {
				t.Errorf("html=%v file = %+v", htmlOnly, f)
			}
			if f.RequiresPython == "" {
				t.Errorf("html=%v %s: no requires-python", htmlOnly, f.Filename)
			}
			if !htmlOnly && (f.Size <= 0 || f.UploadTime.IsZero()) {
				t.Errorf("JSON file lacks size or upload time: %+v", f)
			}
			meta, err := c.Metadata(context.Background(), f)
			if err != nil || !bytes.Equal(meta, srv.Metadata(f.Filename)) {
				t.Errorf("Metadata(%s) = %d bytes, %v", f.Filename, len(meta), err)
			}
			var buf bytes.Buffer
			if err := c.Download(context.Background(), f, &buf); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(buf.Bytes())
			if hex.EncodeToString(sum[:]) != f.SHA256() {
				t.Error("downloaded bytes differ")
			}
		}
		if _, err := c.Project(context.Background(), "no-such-project"); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("missing project: %v", err)
		}
	}
}

func TestProjectMergesIndexes(t *testing.T) {
	paths := realWheels(t)
	pipWheel := pick(t, paths, "pip-")
	a := indextest.New(t, []string{pipWheel}, indextest.Options{})
	b := indextest.New(t, paths, indextest.Options{HTML: true, Yanked: map[string]string{filepath.Base(pipWheel): "old"}})
	c, err := simpleindex.New([]string{a.SimpleURL, b.SimpleURL}, nil, simpleindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Project(context.Background(), "pip")
	if err != nil {
		t.Fatal(err)
	}
	// The same filename on both: the first index wins (not yanked there).
	if len(page.Files) != 1 || page.Files[0].Yanked || page.Files[0].Index != a.SimpleURL {
		t.Errorf("merged pip = %+v", page.Files)
	}
	page, err = c.Project(context.Background(), "wheel")
	if err != nil || len(page.Files) != 1 || page.Files[0].Index != b.SimpleURL {
		t.Errorf("wheel from the second index = %+v, %v", page, err)
	}
	// Pages are cached per client.
	before := a.Requests.Load() + b.Requests.Load()
	if _, err := c.Project(context.Background(), "PIP"); err != nil {
		t.Fatal(err)
	}
	if n := a.Requests.Load() + b.Requests.Load(); n != before {
		t.Errorf("cached page fetched again (%d requests)", n-before)
	}
}

func TestCredentials(t *testing.T) {
	paths := realWheels(t)
	wheel := pick(t, paths, "wheel-")
	ctx := context.Background()

	tok := indextest.New(t, []string{wheel}, indextest.Options{Token: "pd_secret"})
	c, _ := simpleindex.New([]string{tok.SimpleURL}, nil, simpleindex.Options{})
	if _, err := c.Project(ctx, "wheel"); !errors.Is(err, errs.ErrUnauthorized) {
		t.Errorf("without token: %v", err)
	}
	c, _ = simpleindex.New([]string{tok.SimpleURL}, nil, simpleindex.Options{Token: "pd_secret"})
	page, err := c.Project(ctx, "wheel")
	if err != nil {
		t.Fatalf("with token: %v", err)
	}
	if err := c.Download(ctx, page.Files[0], io.Discard); err != nil {
		t.Errorf("download with token: %v", err)
	}

	basic := indextest.New(t, []string{wheel}, indextest.Options{BasicUser: "alice", BasicPassword: "pw"})
	withUser := strings.Replace(basic.SimpleURL, "http://", "http://alice:pw@", 1)
	c, _ = simpleindex.New([]string{withUser}, nil, simpleindex.Options{})
	page, err = c.Project(ctx, "wheel")
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if err := c.Download(ctx, page.Files[0], io.Discard); err != nil {
		t.Errorf("download with userinfo: %v", err)
	}
	if strings.Contains(strings.Join(c.BaseURLs(), ","), "pw") {
		t.Error("BaseURLs leaks the password")
	}

	netrc := filepath.Join(t.TempDir(), "netrc")
	host := strings.TrimPrefix(basic.URL, "http://")
	host = host[:strings.LastIndex(host, ":")]
	if err := os.WriteFile(netrc, []byte("machine "+host+" login alice password pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ = simpleindex.New([]string{basic.SimpleURL}, nil, simpleindex.Options{NetrcPath: netrc})
	if _, err := c.Project(ctx, "wheel"); err != nil {
		t.Errorf("netrc: %v", err)
	}
}

func TestVerification(t *testing.T) {
	paths := realWheels(t)
	wheel := pick(t, paths, "wheel-")
	srv := indextest.New(t, []string{wheel}, indextest.Options{})
	c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{})
	ctx := context.Background()
	page, err := c.Project(ctx, "wheel")
	if err != nil {
		t.Fatal(err)
	}
	bad := page.Files[0]
	bad.Hashes = map[string]string{"sha256": strings.Repeat("0", 64)}
	if err := c.Download(ctx, bad, io.Discard); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("bad sha256: %v", err)
	}
	bad = page.Files[0]
	bad.Size++
	if err := c.Download(ctx, bad, io.Discard); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad size: %v", err)
	}
	bad = page.Files[0]
	bad.CoreMetadataHashes = map[string]string{"sha256": strings.Repeat("1", 64)}
	if _, err := c.Metadata(ctx, bad); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad metadata sha256: %v", err)
	}
	small, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{MaxFileSize: 100})
	if err := small.Download(ctx, page.Files[0], io.Discard); !errors.Is(err, errs.ErrTooLarge) {
		t.Errorf("cap: %v", err)
	}
}

// Without PEP 658 files, Metadata reads METADATA out of the wheel itself.
func TestMetadataFromWheel(t *testing.T) {
	paths := realWheels(t)
	srv := indextest.New(t, paths, indextest.Options{NoMetadata: true})
	c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{TempDir: t.TempDir()})
	for _, name := range []string{"pip", "setuptools", "wheel"} {
		page, err := c.Project(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		f := page.Files[0]
		if f.CoreMetadata {
			t.Fatal("metadata announced")
		}
		meta, err := c.Metadata(context.Background(), f)
		if err != nil {
			t.Fatalf("%s: %v", f.Filename, err)
		}
		if !bytes.Equal(meta, srv.Metadata(f.Filename)) {
			t.Errorf("%s: metadata differs from the wheel's", f.Filename)
		}
	}
}

func TestHTTPErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "forbidden"):
			http.Error(w, "no", http.StatusForbidden)
		case strings.Contains(r.URL.Path, "broken"):
			http.Error(w, "oops", http.StatusInternalServerError)
		case strings.Contains(r.URL.Path, "garbage"):
			w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
			w.Write([]byte("{not json"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, _ := simpleindex.New([]string{srv.URL + "/simple"}, nil, simpleindex.Options{})
	ctx := context.Background()
	if _, err := c.Project(ctx, "forbidden"); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("403: %v", err)
	}
	if _, err := c.Project(ctx, "broken"); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("500: %v", err)
	}
	if _, err := c.Project(ctx, "garbage"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad JSON: %v", err)
	}
	if _, err := simpleindex.New([]string{"ftp://x/"}, nil, simpleindex.Options{}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad base URL: %v", err)
	}
}

func TestPageCacheETag(t *testing.T) {
	paths := realWheels(t)
	for _, htmlOnly := range []bool{false, true} {
		srv := indextest.New(t, paths, indextest.Options{HTML: htmlOnly})
		dir := t.TempDir()
		first, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{CacheDir: dir})
		want, err := first.Project(context.Background(), "pip")
		if err != nil {
			t.Fatal(err)
		}
		second, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{CacheDir: dir})
		got, err := second.Project(context.Background(), "pip")
		if err != nil {
			t.Fatal(err)
		}
		if srv.NotModified.Load() != 1 {
			t.Errorf("html=%v: %d 304 answers, want 1", htmlOnly, srv.NotModified.Load())
		}
		if len(got.Files) != 1 || got.Files[0].URL != want.Files[0].URL || got.Files[0].SHA256() != want.Files[0].SHA256() {
			t.Errorf("html=%v: cached page %+v, want %+v", htmlOnly, got.Files, want.Files)
		}
	}
}
