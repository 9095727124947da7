package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// fuzzAPI accepts every token and every upload whose content reads back fully.
type fuzzAPI struct{ benchAPI }

func (fuzzAPI) Authenticate(context.Context, string) (*index.Token, error) {
	return &index.Token{Name: "fuzz", Scope: index.ScopeAdmin}, nil
}

func (fuzzAPI) Upload(_ context.Context, up index.Upload) (*index.File, bool, error) {
	buf := make([]byte, up.Content.Size())
	if n, err := up.Content.ReadAt(buf, 0); int64(n) != up.Content.Size() || (err != nil && err != io.EOF) {
		return nil, false, fmt.Errorf("short spool: %w", errs.ErrInvalid)
	}
	return &index.File{Filename: up.Filename}, false, nil
}

// FuzzLegacyForm feeds arbitrary multipart bodies to the upload handler: it must answer
// 200 or 4xx, never panic or fail with 5xx, and leave no spooled file behind.
func FuzzLegacyForm(f *testing.F) {
	for _, fm := range []form{
		{filename: "a-1.0.tar.gz", content: []byte("abc")},
		{filename: "a-1.0-py3-none-any.whl", content: []byte("PK\x03\x04"), fields: map[string]string{"md5_digest": "00"}},
		{filename: "../x", content: []byte("x")},
	} {
		b, _ := fm.body()
		f.Add(b.Bytes())
	}
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"content\"; filename=\"x\"\r\n\r\nabc\r\n--B--\r\n"))
	f.Add([]byte("--B\r\n\r\n--B--"))
	spool := f.TempDir()
	api := &fuzzAPI{benchAPI: *newBenchAPI(1, 1)}
	h := New(api, Config{TempDir: spool, MaxUpload: 1 << 16}, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		boundary := "B"
		if bytes.HasPrefix(body, []byte("--")) {
			if i := bytes.IndexAny(body, "\r\n"); i > 2 && i < 72 {
				boundary = string(body[2:i])
			}
		}
		req := httptest.NewRequest(http.MethodPost, "/legacy/", bytes.NewReader(body))
		mw := multipart.NewWriter(io.Discard)
		if mw.SetBoundary(boundary) != nil {
			boundary = "B"
		}
		req.Header.Set("Content-Type", "multipart/form-data; boundary=\""+boundary+"\"")
		req.SetBasicAuth("__token__", "x")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		if left, _ := os.ReadDir(spool); len(left) != 0 {
			t.Fatalf("%d spooled files left", len(left))
		}
	})
}
