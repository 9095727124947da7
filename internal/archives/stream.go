package archives

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ExtractTarGz checks a gzip-compressed tar stream against every rule of this package and
// writes its members under dir (which must exist) in one pass, without a spool. It is
// for large trusted-format archives such as packed environments. On error, dir may hold
// part of the archive: extract into a temporary directory and rename it on success.
// Errors wrap errs.ErrInvalid or errs.ErrTooLarge for the archive's faults.
func ExtractTarGz(ctx context.Context, r io.Reader, dir string, lim Limits) error {
	if err := checkDir(dir); err != nil {
		return err
	}
	return walkTarGz(ctx, r, lim, &index{}, writeMember(ctx, dir))
}

// ExtractTar is ExtractTarGz for an uncompressed tar stream, such as the output of a
// zstd decoder. The compression ratio cannot be checked here; every other cap is.
func ExtractTar(ctx context.Context, r io.Reader, dir string, lim Limits) error {
	if err := checkDir(dir); err != nil {
		return err
	}
	return walkTar(ctx, r, lim, &index{}, writeMember(ctx, dir))
}

func checkDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("archive: extract: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("archive: extract: %s is not a directory", dir)
	}
	return nil
}

func writeMember(ctx context.Context, dir string) func(Member, io.Reader) error {
	return func(m Member, body io.Reader) error {
		target := filepath.Join(dir, filepath.FromSlash(m.Name))
		if m.Dir {
			return os.MkdirAll(target, 0o755)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return extractFile(ctx, target, m, func(string) (io.ReadCloser, error) { return io.NopCloser(body), nil })
	}
}
