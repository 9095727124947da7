package envs

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

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
	var download func(w io.Writer) error
	switch ref := f.Ref.(type) {
	case simpleindex.File:
		if client == nil {
			return "", "", false, fmt.Errorf("file %s comes from an index, and there is none (--no-index)", f.Filename)
		}
		download = func(w io.Writer) error { return client.Download(ctx, ref, w) }
	case lockedFile:
		if ref.Path != "" {
			download = func(w io.Writer) error { return copyFrom(ref.Path, w) }
		} else {
			if client == nil {
				return "", "", false, fmt.Errorf("file %s: no index to download it through", f.Filename)
			}
			download = func(w io.Writer) error { return client.Download(ctx, ref.File, w) }
		}
	case localFile:
		download = func(w io.Writer) error { return copyFrom(ref.Path, w) }
	default:
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
	if err := download(io.MultiWriter(tmp, h)); err != nil {
		tmp.Close()
		return "", "", false, fmt.Errorf("download %s: %w", f.Filename, err)
	}
	if err := tmp.Close(); err != nil {
		return "", "", false, err
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if f.SHA256 != "" && digest != f.SHA256 {
		return "", "", false, fmt.Errorf("download %s: sha256 %s, but %s says %s: %w", f.Filename, digest, origin(f), f.SHA256, errs.ErrInvalid)
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

// lockedFile is the resolver.File.Ref of a file named by a pylock.toml spec: by URL
// (downloaded through the client) or by path (copied).
type lockedFile struct {
	simpleindex.File
	Path string
}

func copyFrom(path string, w io.Writer) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = io.Copy(w, src)
	return err
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

// origin says where a file's expected digest came from, for messages.
func origin(f resolver.File) string {
	switch f.Ref.(type) {
	case localFile:
		return "the --find-links listing"
	case lockedFile:
		return "the lock"
	}
	return "the index"
}

// hashAllowed reports whether "alg:hex" is among the allowed digests.
func hashAllowed(allowed []string, alg, hexd string) bool {
	return slices.Contains(allowed, alg+":"+strings.ToLower(hexd))
}

// checkHashes verifies the file at path against allowed digests ("alg:hex", sha256,
// sha384 or sha512), as pip's hash-checking mode: one match is enough. The error names
// the file and both digests and wraps errs.ErrInvalid.
func checkHashes(path, filename, sha256hex string, allowed []string, what string) error {
	algs := map[string]bool{}
	for _, a := range allowed {
		alg, _, _ := strings.Cut(a, ":")
		algs[alg] = true
	}
	got := map[string]string{"sha256": sha256hex}
	if algs["sha384"] || algs["sha512"] {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		h384, h512 := sha512.New384(), sha512.New()
		_, err = io.Copy(io.MultiWriter(h384, h512), f)
		f.Close()
		if err != nil {
			return err
		}
		got["sha384"], got["sha512"] = hex.EncodeToString(h384.Sum(nil)), hex.EncodeToString(h512.Sum(nil))
	}
	for alg := range algs {
		if hashAllowed(allowed, alg, got[alg]) {
			return nil
		}
	}
	var gotList []string
	for _, alg := range slices.Sorted(maps.Keys(algs)) {
		gotList = append(gotList, alg+":"+got[alg])
	}
	return fmt.Errorf("%s does not match the hashes of %s: expected %s, got %s: %w",
		filename, what, strings.Join(allowed, " or "), strings.Join(gotList, ", "), errs.ErrInvalid)
}
