package envs

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/interpreters"
)

// Format is a tarball compression.
type Format string

const (
	Gzip Format = "gz"
	Zstd Format = "zst"
)

// ParseFormat accepts "gz", "gzip", "tar.gz", "zst", "zstd", "tar.zst". Errors wrap
// errs.ErrInvalid.
func ParseFormat(s string) (Format, error) {
	switch strings.TrimPrefix(strings.ToLower(s), "tar.") {
	case "", "gz", "gzip", "tgz":
		return Gzip, nil
	case "zst", "zstd":
		return Zstd, nil
	}
	return "", fmt.Errorf("unknown format %q (want gz or zst): %w", s, errs.ErrInvalid)
}

// Ext returns ".tar.gz" or ".tar.zst".
func (f Format) Ext() string { return ".tar." + string(f) }

// Pack writes the tree at dir as a compressed tarball to w, reproducibly: members in
// lexical order, directories before their contents, names relative to dir without a
// leading "./", every mtime interpreters.Epoch, uid/gid 0 and no user or group names,
// modes 0755 (directories and executables) or 0644, and no gzip name or time. The same
// tree therefore always gives the same bytes. Symbolic links and other special files are
// refused (errs.ErrInvalid): the safe archive reader would refuse them on unpacking.
func Pack(ctx context.Context, dir string, w io.Writer, format Format) error {
	var cw io.WriteCloser
	switch format {
	case Gzip, "":
		zw, err := pgzip.NewWriterLevel(w, 6)
		if err != nil {
			return err
		}
		zw.ModTime = time.Unix(0, 0) // "no time" in the gzip header
		// fixed block size: the output does not depend on the number of CPUs
		if err := zw.SetConcurrency(1<<20, 2*runtime.GOMAXPROCS(0)); err != nil {
			return err
		}
		cw = zw
	case Zstd:
		zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithZeroFrames(true))
		if err != nil {
			return err
		}
		cw = zw
	default:
		return fmt.Errorf("unknown format %q: %w", format, errs.ErrInvalid)
	}
	tw := tar.NewWriter(cw)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		hdr := &tar.Header{Name: name, ModTime: interpreters.Epoch, Format: tar.FormatPAX}
		switch {
		case d.IsDir():
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, name+"/", 0o755
			return tw.WriteHeader(hdr)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, info.Size(), 0o644
			if info.Mode()&0o111 != 0 {
				hdr.Mode = 0o755
			}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			n, err := io.Copy(tw, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("pack %s: %w", name, err)
			}
			if n != info.Size() {
				return fmt.Errorf("pack %s: file changed while packing", name)
			}
			return nil
		default:
			return fmt.Errorf("pack %s: %s is not a regular file or directory: %w", dir, name, errs.ErrInvalid)
		}
	})
	if err != nil {
		cw.Close()
		return err
	}
	if err := tw.Close(); err != nil {
		cw.Close()
		return err
	}
	return cw.Close()
}
