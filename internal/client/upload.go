package client

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/server/wire"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// Upload uploads a wheel or sdist into repository repo through the management API and
// reports whether the identical file was already there.
func (c *Client) Upload(ctx context.Context, repo, path string) (*wire.UploadResult, error) {
	req, err := c.uploadRequest(ctx, "/api/repositories/"+esc(repo)+"/upload", path)
	if err != nil {
		return nil, err
	}
	var out wire.UploadResult
	if err := c.do(req, &out); err != nil {
		return nil, fmt.Errorf("upload %s: %w", filepath.Base(path), err)
	}
	return &out, nil
}

// UploadLegacy uploads a file as twine does: to the legacy API of distribution base ("" is
// the default distribution), with HTTP Basic __token__. It reports what the server's
// headers say the upload did (Filename, Existed, RepositoryVersion); from a server that
// does not send them (not pydepot, or an older one), Existed is false and
// RepositoryVersion 0.
func (c *Client) UploadLegacy(ctx context.Context, base, path string) (*wire.UploadResult, error) {
	p := "/legacy/"
	if base != "" {
		p = "/" + escPath(base) + "/legacy/"
	}
	req, err := c.uploadRequest(ctx, p, path)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Del("Authorization")
		req.SetBasicAuth("__token__", c.token)
	}
	h, err := c.doHeader(req, nil)
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", filepath.Base(path), err)
	}
	out := &wire.UploadResult{Filename: filepath.Base(path)}
	out.Existed, _ = strconv.ParseBool(h.Get(wire.UploadExistedHeader))
	out.RepositoryVersion, _ = strconv.Atoi(h.Get(wire.RepositoryVersionHeader))
	return out, nil
}

// uploadRequest builds the multipart form twine sends. The digests are computed first;
// the body then streams from the file between a small form prefix and suffix, with an
// exact Content-Length, so nothing of the file is held in memory.
func (c *Client) uploadRequest(ctx context.Context, path, file string) (*http.Request, error) {
	// Open first: a missing file is reported as missing, whatever its name.
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a folder, not a wheel or sdist: give its files (%s): %w", file, filepath.Join(file, "*"), errs.ErrInvalid)
	}
	filename := filepath.Base(file)
	dist, err := filenames.Parse(filename)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is not a wheel or sdist file name: %w", filename, err)
	}
	sh, mh := sha256.New(), md5.New()
	size, err := io.Copy(io.MultiWriter(sh, mh), f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	filetype := "sdist"
	if strings.HasSuffix(filename, ".whl") {
		filetype = "bdist_wheel"
	}
	pyversion := "source"
	if filetype == "bdist_wheel" {
		parts := strings.Split(strings.TrimSuffix(filename, ".whl"), "-")
		if len(parts) >= 5 {
			pyversion = parts[len(parts)-3]
		}
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{
		{":action", "file_upload"},
		{"protocol_version", "1"},
		{"name", dist.Name},
		{"version", dist.Version.String()},
		{"filetype", filetype},
		{"pyversion", pyversion},
		{"sha256_digest", hex.EncodeToString(sh.Sum(nil))},
		{"md5_digest", hex.EncodeToString(mh.Sum(nil))},
	} {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			f.Close()
			return nil, err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="content"; filename="%s"`, strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(filename)))
	h.Set("Content-Type", "application/octet-stream")
	if _, err := mw.CreatePart(h); err != nil {
		f.Close()
		return nil, err
	}
	prefix := bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := mw.Close(); err != nil {
		f.Close()
		return nil, err
	}
	suffix := bytes.Clone(buf.Bytes())
	body := &fileBody{Reader: io.MultiReader(bytes.NewReader(prefix), io.LimitReader(f, size), bytes.NewReader(suffix)), f: f}
	req, err := c.newRequest(ctx, http.MethodPost, path, body)
	if err != nil {
		f.Close()
		return nil, err
	}
	req.ContentLength = int64(len(prefix)) + size + int64(len(suffix))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req, nil
}

// fileBody closes the file when the transport is done with the body.
type fileBody struct {
	io.Reader
	f *os.File
}

func (b *fileBody) Close() error { return b.f.Close() }

// Published is what an upload through a distribution did.
type Published struct {
	Filename     string
	Distribution wire.Distribution // as it was after the upload
	Existed      bool              // the identical file was already in the repository: nothing changed
	// RepositoryVersion is the repository version the upload made, as the server
	// says; 0 when nothing changed (or an older server did not say).
	RepositoryVersion int
	Served            bool // the distribution lists the file now
	// PinHint is a repository version that holds the file, to pin the distribution to
	// when it does not serve it: RepositoryVersion, else the repository's latest.
	PinHint int
}

// Publish uploads a file through the legacy API of distribution base, as UploadLegacy,
// and reports what happened: whether the repository already had the file and the
// version the upload made (both as the server's answer says), and whether the
// distribution serves it (a pinned distribution does not serve what came after its
// version).
func (c *Client) Publish(ctx context.Context, base, path string) (*Published, error) {
	if _, err := c.Distribution(ctx, base); err != nil {
		if IsNotFound(err) {
			return nil, fmt.Errorf("upload %s: no distribution %q (see 'pydepot distribution list'): %w", filepath.Base(path), base, errs.ErrNotFound)
		}
		return nil, err
	}
	res, err := c.UploadLegacy(ctx, base, path)
	if err != nil {
		return nil, err
	}
	p := &Published{Filename: res.Filename, Existed: res.Existed, RepositoryVersion: res.RepositoryVersion, PinHint: res.RepositoryVersion}
	d, err := c.Distribution(ctx, base)
	if err != nil {
		return nil, err
	}
	p.Distribution = *d
	if p.Served, err = c.Serves(ctx, base, p.Filename); err != nil {
		return nil, err
	}
	if !p.Served && p.PinHint == 0 {
		r, err := c.Repository(ctx, d.Repository)
		if err != nil {
			return nil, err
		}
		p.PinHint = r.Latest
	}
	return p, nil
}

// Serves reports whether distribution base lists filename on its simple project page.
func (c *Client) Serves(ctx context.Context, base, filename string) (bool, error) {
	dist, err := filenames.Parse(filename)
	if err != nil {
		return false, err
	}
	req, err := c.newRequest(ctx, http.MethodGet, "/"+escPath(base)+"/simple/"+esc(names.Normalize(dist.Name))+"/", nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", simpleindex.Accept)
	resp, err := c.hc.Do(req)
	if err != nil {
		return false, c.transportError(req, err)
	}
	defer resp.Body.Close()
	c.checkVersion(resp)
	if resp.StatusCode == http.StatusNotFound {
		return false, nil
	}
	if resp.StatusCode != http.StatusOK {
		return false, readError(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPage+1))
	if err != nil {
		return false, fmt.Errorf("GET %s: %w", req.URL.Redacted(), err)
	}
	if len(data) > maxPage {
		return false, fmt.Errorf("GET %s: %w: over %d bytes", req.URL.Redacted(), errs.ErrTooLarge, maxPage)
	}
	var page *simpleindex.ProjectPage
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); strings.HasSuffix(mt, "json") {
		page, err = simpleindex.ParseJSON(data, resp.Request.URL)
	} else {
		page, err = simpleindex.ParseHTML(data, resp.Request.URL)
	}
	if err != nil {
		return false, err
	}
	for _, f := range page.Files {
		if f.Filename == filename {
			return true, nil
		}
	}
	return false, nil
}

// maxPage caps a project page read by Serves.
const maxPage = 64 << 20
