package envrun

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	"github.com/pydepot/pydepot/internal/errs"
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

// Default caps on what one environment may unpack to (Options.MaxSize, MaxFiles).
const (
	DefaultMaxSize  = 16 << 30
	DefaultMaxFiles = 500_000
	// maxRatio caps uncompressed/compressed bytes, gzip and zstd alike, once more than
	// 1 MiB is out: a real environment compresses 3 to 10 times; zeros compress 1000
	// times in gzip and far more in zstd.
	maxRatio = 500
	// maxWindow caps the zstd window (the decoder's memory); pydepot create uses 8 MiB.
	maxWindow = 128 << 20
)

// Limits caps an unpack. Zero fields take the defaults.
type Limits struct {
	MaxSize  int64 // total bytes of the files
	MaxFiles int   // files and directories
}

func (l Limits) archives() archives.Limits {
	size, files := l.MaxSize, l.MaxFiles
	if size <= 0 {
		size = DefaultMaxSize
	}
	if files <= 0 {
		files = DefaultMaxFiles
	}
	return archives.Limits{MaxMembers: files, MaxMemberSize: size, MaxTotalSize: size, MaxRatio: maxRatio}
}

// unpackOpts is what unpack needs of Options.
type unpackOpts struct {
	unpackDir, cache string
	wait             time.Duration
	limits           Limits
	log              *slog.Logger
}

// unpack makes sure the tarball is unpacked and returns the directory. Every folder it
// trusts is checked first (see secure.go).
func unpack(ctx context.Context, tarball string, o unpackOpts) (string, error) {
	log := o.log
	// The cache: needed for the target unless -u is given, and for the remembered digests.
	var envsDir, keysDir string
	root, err := secureRoot(o.cache)
	if err == nil {
		if envsDir, err = secureSubdir(root, "envs"); err == nil {
			keysDir, err = secureSubdir(envsDir, "keys")
		}
	}
	if err != nil {
		if o.unpackDir == "" {
			return "", fail(ExitExtract, "extraction failed: cache: %v%s", err, cacheHint(err))
		}
		log.Debug("not remembering the digest, the cache is not usable", "err", err)
		keysDir = ""
	}
	digest, err := tarballDigest(tarball, keysDir)
	if err != nil {
		return "", fail(ExitExtract, "extraction failed: read %s: %v", tarball, err)
	}
	var parent, target string
	if o.unpackDir == "" {
		parent, target = envsDir, filepath.Join(envsDir, digest)
	} else {
		abs, err := filepath.Abs(o.unpackDir)
		if err != nil || filepath.Base(abs) == string(filepath.Separator) {
			return "", fail(ExitUsage, "bad unpack directory %s", o.unpackDir)
		}
		if parent, err = resolveDir(filepath.Dir(abs), 0o755); err == nil {
			err = checkAncestors(parent)
		}
		if err != nil {
			return "", fail(ExitExtract, "extraction failed: unpack directory: %v", err)
		}
		target = filepath.Join(parent, filepath.Base(abs))
	}
	if _, err := checkTarget(target); err != nil {
		return "", fail(ExitExtract, "extraction failed: environment folder: %v%s", err, cacheHint(err))
	}
	if holds(target, digest) {
		log.Debug("environment already unpacked", "dir", target)
		return target, nil
	}
	lock := target + ".lock"
	unlock, err := lockFile(ctx, lock, o.wait, log)
	if err != nil {
		return "", fail(ExitExtract, "extraction failed: %v%s", err, cacheHint(err))
	}
	// The lock file goes once this run is done, unpacked or not: lockFile makes sure that
	// a run waiting on a removed lock file takes the new one.
	defer unlock(true)
	if _, err := checkTarget(target); err != nil {
		return "", fail(ExitExtract, "extraction failed: environment folder: %v", err)
	}
	if holds(target, digest) {
		log.Debug("environment unpacked by another run", "dir", target)
		return target, nil
	}
	removeStale(parent, filepath.Base(target), log)
	if st, err := os.Lstat(target); err == nil {
		ents, _ := os.ReadDir(target)
		_, mErr := os.Lstat(filepath.Join(target, unpackedPath))
		switch {
		case !st.IsDir():
			return "", fail(ExitExtract, "extraction failed: %s exists and is not a directory", target)
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
	if err := extract(ctx, tarball, tmp, o.limits.archives()); err != nil {
		os.RemoveAll(tmp)
		hint := ""
		if errors.Is(err, errs.ErrTooLarge) {
			hint = " (the caps are --max-size and --max-files, or PYDEPOT_RUN_MAX_SIZE and PYDEPOT_RUN_MAX_FILES)"
		}
		return "", fail(ExitExtract, "extraction failed: %s: %v%s", tarball, err, hint)
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

// removeStale removes what killed runs left in parent: temporary unpack directories and
// replaced environments. Those of base are stale because the caller holds base's lock;
// those of other targets only when their lock can be taken at once (no live unpack).
// Only entries of the effective user are touched.
func removeStale(parent, base string, log *slog.Logger) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		var owner string
		switch {
		case strings.HasPrefix(name, ".unpack-"):
			rest := strings.TrimPrefix(name, ".unpack-")
			i := strings.LastIndexByte(rest, '-')
			if i <= 0 {
				continue
			}
			owner = rest[:i]
		case strings.Contains(name, ".old-"):
			owner = name[:strings.LastIndex(name, ".old-")]
		default:
			continue
		}
		p := filepath.Join(parent, name)
		if !e.IsDir() || !ownedByMe(p) {
			continue
		}
		unlock := func(bool) {}
		if owner != base {
			if unlock, err = tryLock(filepath.Join(parent, owner+".lock")); err != nil {
				continue // a live unpack, or a lock that is not ours
			}
		}
		log.Debug("removing what an interrupted unpack left", "dir", p)
		if err := os.RemoveAll(p); err != nil {
			log.Warn("could not remove a partial unpack", "dir", p, "err", err)
		}
		unlock(true)
	}
}

var errBusy = errors.New("locked by another run")

// openLock opens (creating 0600) the lock file without following a symbolic link and
// checks that it is a regular file of the effective user.
func openLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	st, err := f.Stat()
	if err == nil {
		err = checkOwn(path, st, false)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// tryLock takes the lock at path if it is free at once; errBusy otherwise. The returned
// function releases it, removing the file first when remove is set.
func tryLock(path string) (func(remove bool), error) {
	for {
		f, err := openLock(path)
		if err != nil {
			return nil, err
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == syscall.EWOULDBLOCK || err == syscall.EINTR {
			f.Close()
			return nil, errBusy
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder before us may have removed the file: then we hold a lock nobody
		// else will see, so start again on the file now at path.
		if same(f, path) {
			return func(remove bool) {
				if remove && same(f, path) {
					os.Remove(path)
				}
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		f.Close()
	}
}

// same reports whether path still names the open file f.
func same(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Lstat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// lockFile takes an exclusive flock on path, polling until wait has passed.
func lockFile(ctx context.Context, path string, wait time.Duration, log *slog.Logger) (func(remove bool), error) {
	deadline := time.Now().Add(wait)
	logged := false
	for {
		unlock, err := tryLock(path)
		if err == nil {
			return unlock, nil
		}
		if err != errBusy {
			return nil, err
		}
		if !logged {
			log.Debug("waiting for the unpack lock", "lock", path)
			logged = true
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("could not lock %s within %s (another run is unpacking)", path, wait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// tarballDigest returns the sha256 of the tarball, remembered under keys (none when "").
//
// A record is found by the file's identity (device, inode), size and mtime, not by its
// path: Work Queue and TaskVine link one cached copy into every task's sandbox under
// another path. It is trusted when the file's ctime is the one recorded. A file rewritten
// in place, or a new file that got the freed inode of the old one, has a new ctime even
// when its size and mtime were kept (cp -p, rsync -t, a transfer that preserves times),
// but so has a file that got one more hard link; so on a ctime change the first and last
// 64 KiB (which, for gzip and zstd, hold the stream's checksum) are compared with the
// recorded ones before the digest is reused, and the whole file is hashed otherwise.
func tarballDigest(path, keys string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	var dev, ino uint64
	var ctime int64
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		dev, ino, ctime = uint64(s.Dev), s.Ino, s.Ctim.Nano()
	}
	k := sha256.Sum256(fmt.Appendf(nil, "v2\x00%d\x00%d\x00%d\x00%d", dev, ino, st.Size(), st.ModTime().UnixNano()))
	keyFile := ""
	if keys != "" {
		keyFile = filepath.Join(keys, hex.EncodeToString(k[:16]))
	}
	var rec digestRecord
	if keyFile != "" {
		if b, err := os.ReadFile(keyFile); err == nil && json.Unmarshal(b, &rec) == nil && len(rec.Digest) == 64 {
			if rec.Ctime == ctime {
				return rec.Digest, nil
			}
			if fp, err := fingerprint(f, st.Size()); err == nil && fp == rec.Ends {
				rec.Ctime = ctime
				if b, err := json.Marshal(rec); err == nil {
					_ = atomicfile.WriteFile(keyFile, b, 0o600)
				}
				return rec.Digest, nil
			}
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size())); err != nil {
		return "", err
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if keyFile != "" {
		if fp, err := fingerprint(f, st.Size()); err == nil {
			if b, err := json.Marshal(digestRecord{Digest: digest, Ctime: ctime, Ends: fp}); err == nil {
				_ = atomicfile.WriteFile(keyFile, b, 0o600) // a cache: failing to keep it only costs a re-hash
			}
		}
	}
	return digest, nil
}

// digestRecord is what envs/keys/<key> holds.
type digestRecord struct {
	Digest string `json:"sha256"`
	Ctime  int64  `json:"ctime"`
	Ends   string `json:"ends"` // sha256 of the first and last 64 KiB
}

func fingerprint(f *os.File, size int64) (string, error) {
	const n = 64 << 10
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, min(n, size))); err != nil {
		return "", err
	}
	if _, err := io.Copy(h, io.NewSectionReader(f, max(0, size-n), min(n, size))); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// extract unpacks a .tar.gz or .tar.zst (told apart by content) into dir in one pass,
// through internal/archives' streaming readers, which enforce every archive rule.
func extract(ctx context.Context, tarball, dir string, lim archives.Limits) error {
	f, err := os.Open(tarball)
	if err != nil {
		return err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		return fmt.Errorf("not a tarball: %w", err)
	}
	if magic != zstdMagic {
		return archives.ExtractTarGz(ctx, f, dir, lim)
	}
	// archives checks the ratio of gzip itself; for zstd it sees only the tar stream.
	var dec *zstd.Decoder
	r, err := archives.RatioChecked(f, lim.MaxRatio, func(in io.Reader) (io.Reader, error) {
		var err error
		dec, err = zstd.NewReader(in, zstd.WithDecoderMaxWindow(maxWindow), zstd.WithDecoderConcurrency(1))
		return dec, err
	})
	if err != nil {
		return fmt.Errorf("open zstd stream: %w", err)
	}
	defer dec.Close()
	return archives.ExtractTar(ctx, r, dir, lim)
}

var zstdMagic = [4]byte{0x28, 0xb5, 0x2f, 0xfd}

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
