package simpleindex_test

import (
	"bytes"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/httpclient"
	"github.com/pydepot/pydepot/internal/simpleindex"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// TestProjectIfChanged: a first fetch returns the validators and the serial; sending
// them back gets notModified (by ETag, or by Last-Modified alone when the server sends
// no ETag); a change upstream returns the new page.
func TestProjectIfChanged(t *testing.T) {
	paths := realWheels(t)
	pip := pick(t, paths, "pip-")
	for _, tc := range []struct {
		name string
		opts indextest.Options
	}{{"json", indextest.Options{}}, {"html", indextest.Options{HTML: true}}, {"last-modified only", indextest.Options{NoETag: true}}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := indextest.New(t, []string{pip}, tc.opts)
			c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{})
			ctx := t.Context()
			page, nm, err := c.ProjectIfChanged(ctx, "PIP", "", "")
			if err != nil || nm {
				t.Fatalf("first fetch: %v, notModified=%v", err, nm)
			}
			if (page.ETag == "") != tc.opts.NoETag || page.LastModified == "" || page.Serial != srv.Serial() || len(page.Files) != 1 || page.Files[0].Index != srv.SimpleURL {
				t.Fatalf("page = %+v, serial want %d", page, srv.Serial())
			}
			if page.Serial <= 0 {
				t.Fatalf("serial %d", page.Serial)
			}
			again, nm, err := c.ProjectIfChanged(ctx, "pip", page.ETag, page.LastModified)
			if err != nil || !nm || again != nil {
				t.Fatalf("unchanged: page=%v notModified=%v err=%v", again, nm, err)
			}
			if srv.NotModified.Load() != 1 {
				t.Errorf("%d 304 answers, want 1", srv.NotModified.Load())
			}
			srv.Add(t, pick(t, paths, "setuptools-")) // another project: pip's page is unchanged
			if _, nm, err := c.ProjectIfChanged(ctx, "pip", page.ETag, page.LastModified); err != nil || !nm {
				t.Fatalf("after another project changed: notModified=%v err=%v", nm, err)
			}
			srv.Add(t, copyAs(t, pip, "pip-99.0-py3-none-any.whl"))
			changed, nm, err := c.ProjectIfChanged(ctx, "pip", page.ETag, page.LastModified)
			if err != nil || nm {
				t.Fatalf("changed: notModified=%v err=%v", nm, err)
			}
			if changed.Serial <= page.Serial || changed.LastModified == page.LastModified || len(changed.Files) != 2 {
				t.Errorf("changed page serial %d (was %d), Last-Modified %q (was %q)", changed.Serial, page.Serial, changed.LastModified, page.LastModified)
			}
			if _, _, err := c.ProjectIfChanged(ctx, "no-such-project", "", ""); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("missing project: %v", err)
			}
		})
	}
}

// TestProjectListFromIndex lists the projects of a real test index in both formats,
// with the serial.
func TestProjectListFromIndex(t *testing.T) {
	paths := realWheels(t)
	want := map[string]bool{}
	for _, p := range paths {
		want[strings.ToLower(strings.SplitN(filepath.Base(p), "-", 2)[0])] = true
	}
	for _, htmlOnly := range []bool{false, true} {
		srv := indextest.New(t, paths, indextest.Options{HTML: htmlOnly})
		c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{})
		var got []string
		serial, err := c.ProjectListEntries(t.Context(), func(e simpleindex.ListEntry) error {
			got = append(got, e.Name)
			if !htmlOnly && (e.Serial <= 0 || e.Serial > srv.Serial()) {
				t.Errorf("entry %s serial %d, want 1..%d", e.Name, e.Serial, srv.Serial())
			}
			return nil
		})
		if err != nil {
			t.Fatalf("html=%v: %v", htmlOnly, err)
		}
		if serial != srv.Serial() || serial <= 0 || len(got) != len(want) || !sort.StringsAreSorted(got) {
			t.Errorf("html=%v: serial %d (want %d), names %v, want %v", htmlOnly, serial, srv.Serial(), got, want)
		}
		for _, n := range got {
			if !want[n] {
				t.Errorf("html=%v: unexpected %q", htmlOnly, n)
			}
		}
		stop := errors.New("stop")
		calls := 0
		if _, err := c.ProjectList(t.Context(), func(string) error { calls++; return stop }); err != stop || calls != 1 {
			t.Errorf("an error from fn: %v after %d calls, want it returned after 1", err, calls)
		}
	}
	two, _ := simpleindex.New([]string{"http://127.0.0.1:1/simple/", "http://127.0.0.1:2/simple/"}, nil, simpleindex.Options{})
	if _, err := two.ProjectList(t.Context(), func(string) error { return nil }); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("two index URLs: %v", err)
	}
}

// TestFetchVerified: Fetch leaves the verified bytes in a temp file under dir; a bad
// digest in the index is refused before any download; a missing file is ErrNotFound;
// nothing is left behind on an error.
func TestFetchVerified(t *testing.T) {
	paths := realWheels(t)
	for _, htmlOnly := range []bool{false, true} {
		srv := indextest.New(t, paths, indextest.Options{HTML: htmlOnly})
		c, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{})
		dir := t.TempDir()
		page, _, err := c.ProjectIfChanged(t.Context(), "wheel", "", "")
		if err != nil {
			t.Fatal(err)
		}
		f := page.Files[0]
		path, err := c.Fetch(t.Context(), f, dir)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(data, srv.Bytes(f.Filename)) || filepath.Dir(path) != dir {
			t.Fatalf("fetched %s (%d bytes, %v), want %d bytes under %s", path, len(data), err, len(srv.Bytes(f.Filename)), dir)
		}
		os.Remove(path)
		before := srv.Requests.Load()
		bad := f
		bad.Hashes = map[string]string{"sha256": "xyz"}
		if _, err := c.Fetch(t.Context(), bad, dir); !errors.Is(err, errs.ErrInvalid) || srv.Requests.Load() != before {
			t.Errorf("malformed digest: %v (%d requests)", err, srv.Requests.Load()-before)
		}
		gone := f
		gone.URL += "-gone"
		if _, err := c.Fetch(t.Context(), gone, dir); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("missing file: %v", err)
		}
		small, _ := simpleindex.New([]string{srv.SimpleURL}, nil, simpleindex.Options{MaxFileSize: 100})
		if _, err := small.Fetch(t.Context(), f, dir); !errors.Is(err, errs.ErrTooLarge) {
			t.Errorf("over the cap: %v", err)
		}
		noSize := f
		noSize.Size = -1
		if _, err := small.Fetch(t.Context(), noSize, dir); !errors.Is(err, errs.ErrTooLarge) {
			t.Errorf("over the cap, size not given: %v", err)
		}
		assertEmpty(t, dir)
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind: %s", e.Name())
	}
}

// copyAs copies a file to a temporary one named name.
func copyAs(t testing.TB, path, name string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRemoteTransport: a remote over https with its own CA file and Basic credentials
// (Options.Username/Password, which win over Token) lists, pages and fetches.
func TestRemoteTransport(t *testing.T) {
	paths := realWheels(t)
	srv := indextest.New(t, paths, indextest.Options{TLS: true, BasicUser: "alice", BasicPassword: "s3cret"})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	hc, err := httpclient.NewWith(httpclient.Config{CACertFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := simpleindex.New([]string{srv.SimpleURL}, hc, simpleindex.Options{Username: "alice", Password: "s3cret", Token: "ignored"})
	n := 0
	if _, err := c.ProjectList(t.Context(), func(string) error { n++; return nil }); err != nil || n != len(paths) {
		t.Fatalf("list: %d names, %v", n, err)
	}
	page, _, err := c.ProjectIfChanged(t.Context(), "wheel", "", "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := c.Fetch(t.Context(), page.Files[0], dir); err != nil {
		t.Fatal(err)
	}
	wrong, _ := simpleindex.New([]string{srv.SimpleURL}, hc, simpleindex.Options{Username: "alice", Password: "wrong"})
	if _, _, err := wrong.ProjectIfChanged(t.Context(), "wheel", "", ""); !errors.Is(err, errs.ErrUnauthorized) {
		t.Errorf("wrong password: %v", err)
	}
	untrusted, _ := simpleindex.New([]string{srv.SimpleURL}, httpclient.New(time.Minute), simpleindex.Options{Username: "alice", Password: "s3cret"})
	start := time.Now()
	if _, _, err := untrusted.ProjectIfChanged(t.Context(), "wheel", "", ""); err == nil || !strings.Contains(err.Error(), "certificate") || time.Since(start) > 2*time.Second {
		t.Errorf("without the CA (and not retried): %v after %s", err, time.Since(start))
	}
}

// TestSyncCallsAgainstPydepot: another pydepot server as the upstream: the listing with
// serials, a conditional page fetch answered 304, a verified fetch.
func TestSyncCallsAgainstPydepot(t *testing.T) {
	srv := pydepotServer(t, nil)
	c, _ := simpleindex.New([]string{srv.URL + "/simple/"}, srv.Client(), simpleindex.Options{})
	var entries []simpleindex.ListEntry
	serial, err := c.ProjectListEntries(t.Context(), func(e simpleindex.ListEntry) error { entries = append(entries, e); return nil })
	if err != nil || serial <= 0 || len(entries) != 1 || entries[0].Name != "wheel" || entries[0].Serial <= 0 {
		t.Fatalf("list: %+v serial %d, %v", entries, serial, err)
	}
	page, _, err := c.ProjectIfChanged(t.Context(), "wheel", "", "")
	if err != nil || page.ETag == "" || page.Serial != entries[0].Serial || len(page.Files) != 1 {
		t.Fatalf("page: %+v, %v", page, err)
	}
	f := page.Files[0]
	if f.UploadTime.IsZero() || f.Size <= 0 || f.RequiresPython == "" || !f.CoreMetadata || f.CoreMetadataHashes["sha256"] == "" {
		t.Errorf("pydepot's file lacks fields: %+v", f)
	}
	if _, nm, err := c.ProjectIfChanged(t.Context(), "wheel", page.ETag, page.LastModified); err != nil || !nm {
		t.Errorf("unchanged: notModified=%v, %v", nm, err)
	}
	dir := t.TempDir()
	if _, err := c.Fetch(t.Context(), f, dir); err != nil {
		t.Fatal(err)
	}
	if meta, err := c.FetchMetadata(t.Context(), f); err != nil || len(meta) == 0 {
		t.Errorf("metadata: %d bytes, %v", len(meta), err)
	}
}
