package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/server"
)

// benchWheel is a valid wheel of name-version with a stored (uncompressed) member of
// size random bytes, so that the upload moves that many bytes.
func benchWheel(name, version string, size int, rng *rand.Rand) (string, []byte) {
	di := name + "-" + version + ".dist-info/"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(rng.Uint32())
	}
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: name + "/data.bin", Method: zip.Store})
	w.Write(payload)
	for _, f := range []struct{ name, body string }{
		{name + "/__init__.py", "X = 1\n"},
		{di + "METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n\n"},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{di + "RECORD", ""},
	} {
		w, _ := zw.Create(f.name)
		io.WriteString(w, f.body)
	}
	zw.Close()
	return name + "-" + version + "-py3-none-any.whl", buf.Bytes()
}

// BenchmarkLegacyUpload4MiB: twine's upload form of a 4 MiB wheel through the real
// HTTP stack and index on a temporary data folder, one new file per iteration.
func BenchmarkLegacyUpload4MiB(b *testing.B) {
	ctx := context.Background()
	data := b.TempDir()
	svc, closeFn, err := backends.OpenDir(ctx, data, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer closeFn()
	if err := svc.EnsureDefaults(ctx); err != nil {
		b.Fatal(err)
	}
	const token = "bench-admin-token-0123456789"
	if _, err := svc.Bootstrap(ctx, token); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(server.New(svc, server.Config{TempDir: data}, nil))
	defer srv.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	const size = 4 << 20
	forms := make([][]byte, b.N)
	types := make([]string, b.N)
	for i := range b.N {
		fn, body := benchWheel("benchup", fmt.Sprintf("1.%d", i), size, rng)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range map[string]string{":action": "file_upload", "protocol_version": "1", "name": "benchup", "version": fmt.Sprintf("1.%d", i)} {
			mw.WriteField(k, v)
		}
		w, _ := mw.CreateFormFile("content", fn)
		w.Write(body)
		mw.Close()
		forms[i], types[i] = buf.Bytes(), mw.FormDataContentType()
	}
	client := srv.Client()
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		req, _ := http.NewRequest("POST", srv.URL+"/main/legacy/", bytes.NewReader(forms[i]))
		req.Header.Set("Content-Type", types[i])
		req.SetBasicAuth("__token__", token)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
