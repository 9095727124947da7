package osv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pydepot/pydepot/internal/archives"
	"github.com/pydepot/pydepot/internal/errs"
)

// Limits bound what an import reads.
type Limits struct {
	// MaxRecordBytes caps one record file (the largest PyPI records, long versions lists,
	// are some hundred KiB).
	MaxRecordBytes int64
	// MaxFiles caps the record files of one dump (the PyPI dump holds some tens of
	// thousands; every ecosystem together some hundreds of thousands).
	MaxFiles int
	// MaxTotalBytes caps the sum of the record files' sizes.
	MaxTotalBytes int64
}

// DefaultLimits returns the caps of `pydepot osv import`.
func DefaultLimits() Limits {
	return Limits{MaxRecordBytes: 4 << 20, MaxFiles: 1_000_000, MaxTotalBytes: 4 << 30}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = d.MaxRecordBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	return l
}

func tooLargef(format string, a ...any) error {
	return fmt.Errorf(format+": %w", append(a, errs.ErrTooLarge)...)
}

// walkRecords calls fn with the name and bytes of every record file (*.json) of src: the
// members of a zip (the OSV dump all.zip), or the regular files below a folder, in a
// stable order (the zip's, or lexical). Other files are skipped, and so are symbolic
// links in a folder. Errors name the file.
func walkRecords(ctx context.Context, src string, lim Limits, fn func(name string, data []byte) error) error {
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("osv source: %w", err)
	}
	if st.IsDir() {
		return walkDir(ctx, src, lim, fn)
	}
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("osv source: %w", err)
	}
	defer f.Close()
	return walkZip(ctx, src, f, st.Size(), lim, fn)
}

func isRecordName(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".json") }

func walkZip(ctx context.Context, src string, r io.ReaderAt, size int64, lim Limits, fn func(string, []byte) error) error {
	a, err := archives.OpenZip(r, size, archives.Limits{
		MaxMembers: lim.MaxFiles, MaxMemberSize: lim.MaxRecordBytes, MaxTotalSize: lim.MaxTotalBytes, MaxRatio: 200,
	})
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	defer a.Close()
	for _, m := range a.Members() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if m.Dir || !isRecordName(m.Name) {
			continue
		}
		data, err := archives.ReadFileMax(a, m.Name, lim.MaxRecordBytes)
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		if err := fn(src+":"+m.Name, data); err != nil {
			return err
		}
	}
	return nil
}

func walkDir(ctx context.Context, root string, lim Limits, fn func(string, []byte) error) error {
	files := 0
	var total int64
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("osv source: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() || !isRecordName(d.Name()) {
			return nil
		}
		if files++; files > lim.MaxFiles {
			return tooLargef("%s: more than %d record files", root, lim.MaxFiles)
		}
		data, err := readCapped(path, lim.MaxRecordBytes)
		if err != nil {
			return err
		}
		if total += int64(len(data)); total > lim.MaxTotalBytes {
			return tooLargef("%s: the record files hold more than %d bytes", root, lim.MaxTotalBytes)
		}
		return fn(path, data)
	})
}

// readCapped reads a file of at most limit bytes.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("osv source: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if n > limit {
		return nil, tooLargef("%s: over the limit of %d bytes for one record", path, limit)
	}
	return buf.Bytes(), nil
}
