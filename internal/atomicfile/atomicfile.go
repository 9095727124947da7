// Package atomicfile writes files so that no reader ever sees half of one: the bytes go to
// a temporary file beside the target, which is then renamed over it. (The blob store has
// its own, fsyncing writer; this is for caches and installed trees.)
package atomicfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
)

// Write copies r into path through a temporary file in path's directory and a rename.
// The file gets perm. On error nothing is left behind and path is unchanged.
func Write(path string, r io.Reader, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Copy copies src to dst with Write, keeping src's permission bits when perm is 0.
func Copy(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if perm == 0 {
		st, err := in.Stat()
		if err != nil {
			return err
		}
		perm = st.Mode().Perm()
	}
	return Write(dst, in, perm)
}

// WriteFile writes data to path with Write, creating path's directory first.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return Write(path, bytes.NewReader(data), perm)
}
