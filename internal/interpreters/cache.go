package interpreters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// QueryCached is Query with the answer remembered in cacheDir, keyed by the real path,
// size, mtime, ctime and inode of the interpreter binary (a reinstalled interpreter is
// queried again). An empty cacheDir queries every time, and so does a pyenv shim
// (whose answer depends on the folder and PYENV_VERSION).
func QueryCached(ctx context.Context, path, cacheDir string) (*Interpreter, error) {
	if cacheDir == "" || IsShim(path) {
		return Query(ctx, path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("interpreter %s: %w", path, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		return nil, err
	}
	var ctime, ino int64
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		ctime, ino = s.Ctim.Nano(), int64(s.Ino)
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "v1\x00%s\x00%d\x00%d\x00%d\x00%d", real, st.Size(), st.ModTime().UnixNano(), ctime, ino))
	file := filepath.Join(cacheDir, hex.EncodeToString(sum[:16])+".json")
	if data, err := os.ReadFile(file); err == nil {
		var in Interpreter
		if json.Unmarshal(data, &in) == nil && in.Major == 3 {
			in.Path = abs
			return &in, nil
		}
	}
	in, err := Query(ctx, abs)
	if err != nil {
		return nil, err
	}
	if data, err := json.Marshal(in); err == nil && os.MkdirAll(cacheDir, 0o755) == nil {
		if tmp, err := os.CreateTemp(cacheDir, ".q-"); err == nil {
			tmp.Write(data)
			tmp.Close()
			if os.Rename(tmp.Name(), file) != nil {
				os.Remove(tmp.Name())
			}
		}
	}
	return in, nil
}
