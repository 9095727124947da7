package envrun

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pydepot/pydepot/internal/atomicfile"

	"github.com/klauspost/compress/zstd"

	"github.com/pydepot/pydepot/internal/archives"
	"github.com/pydepot/pydepot/internal/interpreters"
)

// ManifestPath is where an environment describes itself, relative to its root.
const ManifestPath = ".pydepot/env.json"

// unpackedPath holds the digest of the tarball a target was unpacked from.
const unpackedPath = ".pydepot/unpacked"

// Manifest is written by pydepot create into every environment.
type Manifest struct {
	Format       int      `json:"format"`        // 1
	Prefix       string   `json:"prefix"`        // absolute directory the environment was built in
	Python       string   `json:"python"`        // the interpreter, relative ("bin/python3.11")
	Version      string   `json:"version"`       // its version ("3.11.7")
	SitePackages string   `json:"site_packages"` // relative
	Relocate     []string `json:"relocate,omitempty"`
	Lock         string   `json:"lock,omitempty"` // sha256 of pylock.toml
}

// WriteManifest writes m into the environment at dir.
func WriteManifest(dir string, m Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	p := filepath.Join(dir, ManifestPath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, append(data, '\n'), 0o644)
}

func readManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestPath))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// extractLimits are looser than a wheel's: an environment is big, and the caller chose it.
func extractLimits() archives.Limits {
	return archives.Limits{MaxMembers: 1_000_000, MaxMemberSize: 16 << 30, MaxTotalSize: 64 << 30, MaxRatio: 2000}
}

// unpack makes sure the tarball is unpacked and returns the directory.
func unpack(ctx context.Context, tarball, unpackDir, cache string, wait time.Duration, log *slog.Logger) (string, error) {
	digest, err := tarballDigest(tarball, cache)
	if err != nil {
		return "", fail(ExitExtract, "extraction failed: read %s: %v", tarball, err)
	}
	target := filepath.Join(cache, "envs", digest)
	if unpackDir != "" {
		if target, err = filepath.Abs(unpackDir); err != nil {
			return "", fail(ExitUsage, "bad unpack directory %s: %v", unpackDir, err)
		}
	}
	if holds(target, digest) {
		log.Debug("environment already unpacked", "dir", target)
		return target, nil
	}
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fail(ExitExtract, "extraction failed: %v", err)
	}
	unlock, err := lockFile(ctx, target+".lock", wait, log)
	if err != nil {
		return "", fail(ExitExtract, "extraction failed: %v", err)
	}
	defer unlock()
	if holds(target, digest) {
		log.Debug("environment unpacked by another run", "dir", target)
		return target, nil
	}
	if st, err := os.Stat(target); err == nil {
		if !st.IsDir() {
			return "", fail(ExitExtract, "extraction failed: %s exists and is not a directory", target)
		}
		ents, _ := os.ReadDir(target)
		_, mErr := os.Stat(filepath.Join(target, unpackedPath))
		switch {
		case len(ents) == 0:
			// an empty directory is replaced by the rename below
		case mErr == nil:
			// an environment this tool unpacked from another tarball: replace it
			old := target + ".old-" + digest[:12]
			if err := os.Rename(target, old); err != nil {
				return "", fail(ExitExtract, "extraction failed: %v", err)
			}
			defer os.RemoveAll(old)
		default:
			return "", fail(ExitExtract, "extraction failed: %s is not empty and holds no environment unpacked by pydepot", target)
		}
	}
	log.Debug("unpacking environment", "tarball", tarball, "dir", target)
	start := time.Now()
	tmp, err := os.MkdirTemp(parent, ".unpack-"+filepath.Base(target)+"-")
	if err != nil {
		return "", fail(ExitExtract, "extraction failed: %v", err)
	}
	if err := extract(ctx, tarball, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", fail(ExitExtract, "extraction failed: %s: %v", tarball, err)
	}
	if err := relocate(ctx, tmp, target); err != nil {
		os.RemoveAll(tmp)
		return "", fail(ExitActivate, "activation failed: relocate %s: %v", tarball, err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(unpackedPath)), 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", fail(ExitExtract, "extraction failed: %v", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, unpackedPath), []byte(digest+"\n"), 0o644); err != nil {
		os.RemoveAll(tmp)
		return "", fail(ExitExtract, "extraction failed: %v", err)
	}
	if err := os.Rename(tmp, target); err != nil {
		os.RemoveAll(tmp)
		return "", fail(ExitExtract, "extraction failed: %v", err)
	}
	log.Debug("unpacked environment", "dir", target, "duration", time.Since(start))
	return target, nil
}

func holds(target, digest string) bool {
	b, err := os.ReadFile(filepath.Join(target, unpackedPath))
	return err == nil && strings.TrimSpace(string(b)) == digest
}

// lockFile takes an exclusive flock on path, polling until wait has passed.
func lockFile(ctx context.Context, path string, wait time.Duration, log *slog.Logger) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	logged := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !logged {
			log.Debug("waiting for the unpack lock", "lock", path)
			logged = true
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("could not lock %s within %s (another run is unpacking)", path, wait)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// tarballDigest returns the sha256 of the tarball, remembered per device, inode, size and
// mtime under cache/envs/keys (os.Stat follows symbolic links).
func tarballDigest(path, cache string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	// Keyed by the file itself (device, inode, size, mtime), not by its path: Work Queue
	// and TaskVine link one cached copy into every task's sandbox under another path.
	var dev, ino uint64
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		dev, ino = uint64(s.Dev), s.Ino
	}
	k := sha256.Sum256(fmt.Appendf(nil, "v2\x00%d\x00%d\x00%d\x00%d", dev, ino, st.Size(), st.ModTime().UnixNano()))
	keyFile := filepath.Join(cache, "envs", "keys", hex.EncodeToString(k[:16]))
	if b, err := os.ReadFile(keyFile); err == nil && len(bytes.TrimSpace(b)) == 64 {
		return string(bytes.TrimSpace(b)), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	digest := hex.EncodeToString(h.Sum(nil))
	_ = atomicfile.WriteFile(keyFile, []byte(digest+"\n"), 0o644) // a cache: failing to keep it only costs a re-hash
	return digest, nil
}

// extract unpacks a .tar.gz or .tar.zst (told apart by content) into dir in one pass,
// through internal/archives' streaming readers, which enforce every archive rule.
func extract(ctx context.Context, tarball, dir string) error {
	f, err := os.Open(tarball)
	if err != nil {
		return err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		return fmt.Errorf("not a tarball: %w", err)
	}
	if magic != [4]byte{0x28, 0xb5, 0x2f, 0xfd} {
		return archives.ExtractTarGz(ctx, f, dir, extractLimits())
	}
	dec, err := zstd.NewReader(f)
	if err != nil {
		return fmt.Errorf("open zstd stream: %w", err)
	}
	defer dec.Close()
	return archives.ExtractTar(ctx, dec, dir, extractLimits())
}

// relocate prepares the unpacked tree in tmp to live at target: mtimes back to
// interpreters.Epoch (so packed bytecode stays valid) and the build prefix replaced in the
// files the manifest lists.
func relocate(ctx context.Context, tmp, target string) error {
	if m, err := readManifest(tmp); err == nil && m.Prefix != "" && m.Prefix != target {
		for _, rel := range m.Relocate {
			p := filepath.Join(tmp, filepath.FromSlash(rel))
			if !strings.HasPrefix(p, tmp+string(filepath.Separator)) {
				return fmt.Errorf("manifest names %q outside the environment", rel)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			st, err := os.Stat(p)
			if err != nil {
				return err
			}
			data = bytes.ReplaceAll(data, []byte(m.Prefix), []byte(target))
			if err := os.WriteFile(p, data, st.Mode().Perm()); err != nil {
				return err
			}
		}
	}
	if err := interpreters.SetTimes(ctx, tmp); err != nil {
		return err
	}
	return interpreters.LinkWrappers(filepath.Join(tmp, "bin"))
}
