package envs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pydepot/pydepot/internal/atomicfile"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/resolver"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// fileCache is the content-addressed store of downloaded distribution files:
// dir/wheels/sha256/aa/<digest> (sdists live there too).
type fileCache struct{ dir string }

func (c fileCache) path(digest string) string {
	return filepath.Join(c.dir, "wheels", "sha256", digest[:2], digest)
}

// fetch returns the cached path of f, downloading it first when needed. The download is
// hashed while it streams and committed by rename only when the digest matches the
// index's (a file the index gave no hash for is stored under its computed digest).
func (c fileCache) fetch(ctx context.Context, client *simpleindex.Client, f resolver.File) (string, string, bool, error) {
	if len(f.SHA256) == 64 {
		p := c.path(f.SHA256)
		if st, err := os.Stat(p); err == nil && (f.Size < 0 || st.Size() == f.Size) {
			return p, f.SHA256, true, nil
		}
	}
	sf, ok := f.Ref.(simpleindex.File)
	if !ok {
		return "", "", false, fmt.Errorf("file %s does not come from an index", f.Filename)
	}
	tmpDir := filepath.Join(c.dir, "wheels", "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return "", "", false, err
	}
	tmp, err := os.CreateTemp(tmpDir, "dl-*")
	if err != nil {
		return "", "", false, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if err := client.Download(ctx, sf, io.MultiWriter(tmp, h)); err != nil {
		tmp.Close()
		return "", "", false, fmt.Errorf("download %s: %w", f.Filename, err)
	}
	if err := tmp.Close(); err != nil {
		return "", "", false, err
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if f.SHA256 != "" && digest != f.SHA256 {
		return "", "", false, fmt.Errorf("download %s: sha256 %s, the index says %s: %w", f.Filename, digest, f.SHA256, errs.ErrInvalid)
	}
	p := c.path(digest)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", "", false, err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", "", false, err
	}
	return p, digest, false, nil
}

// linkOrCopy hard-links src to dst (replacing dst), falling back to a copy.
func linkOrCopy(src, dst string) error {
	tmp := dst + ".tmp-link"
	os.Remove(tmp)
	if err := os.Link(src, tmp); err == nil {
		return os.Rename(tmp, dst)
	}
	return atomicfile.Copy(src, dst, 0o644)
}
