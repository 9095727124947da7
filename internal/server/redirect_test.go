package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// presigning is a Memory blob driver that gives direct URLs, as the S3 driver will.
type presigning struct{ *blobstore.Memory }

func (p presigning) URLFor(ctx context.Context, path string, expiry time.Duration) (string, error) {
	if _, err := p.Stat(ctx, path); err != nil {
		return "", err
	}
	return "https://bucket.example.com/" + path + "?expires=" + expiry.String(), nil
}

// TestFileDownloadRedirectsOrStreams: with a blob driver that gives direct URLs, a file
// download is a 307 to that URL (never cached); with the file driver, which gives none,
// the server streams the bytes itself. Either way the file's rules apply first.
func TestFileDownloadRedirectsOrStreams(t *testing.T) {
	whl := makeWheel(t, "Demo_Pkg", "1.0", wheelOpts{})
	name := wheelName("Demo_Pkg", "1.0")
	h := sha256.Sum256(whl)
	sha := hex.EncodeToString(h[:])
	path := "/files/" + sha + "/" + name

	streaming := newEnv(t, Config{})
	streaming.mustUpload(name, whl)
	resp := streaming.request(http.MethodGet, path, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || body != string(whl) || resp.Header.Get("Location") != "" {
		t.Errorf("file driver: %d, Location %q, %d bytes; want the bytes streamed", resp.StatusCode, resp.Header.Get("Location"), len(body))
	}

	ctx := context.Background()
	data := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(data, "pydepot.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := newEnvOn(t, Config{}, index.New(st, presigning{blobstore.NewMemory()}, nil), data, t.TempDir())
	e.mustUpload(name, whl)
	resp = e.request(http.MethodGet, path, nil)
	readBody(t, resp)
	want := "https://bucket.example.com/" + blobstore.NewStore(presigning{blobstore.NewMemory()}).BlobPath(sha) + "?expires=" + redirectExpiry.String()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != want || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("presigning driver: %d, Location %q, Cache-Control %q; want 307 to %s, no-store", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Cache-Control"), want)
	}
	// The rules still come first: a wrong digest is 404, not a redirect.
	other := sha256.Sum256([]byte("other"))
	resp = e.request(http.MethodGet, "/files/"+hex.EncodeToString(other[:])+"/"+name, nil)
	readBody(t, resp)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("wrong digest: %d, want 404", resp.StatusCode)
	}
}
