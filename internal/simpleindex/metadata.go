package simpleindex

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/inspect"
)

// Metadata returns the core metadata bytes of f: the PEP 658 file at f.URL+".metadata"
// when the index announces one (checked against its sha256 when given), else read from
// the distribution file itself (downloaded to a temporary file, verified, and opened
// through internal/inspect). Errors wrap errs.ErrInvalid for a digest mismatch or an
// unreadable archive, errs.ErrNotFound when the file is gone.
func (c *Client) Metadata(ctx context.Context, f File) ([]byte, error) {
	if f.CoreMetadata {
		data, err := c.pep658(ctx, f)
		if err == nil || !errors.Is(err, errs.ErrNotFound) {
			return data, err
		}
		c.log.Debug("announced metadata file missing", "file", f.Filename)
	}
	tmp, err := os.CreateTemp(c.opts.TempDir, "pydepot-meta-*")
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", f.Filename, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := c.Download(ctx, f, tmp); err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", f.Filename, err)
	}
	st, err := tmp.Stat()
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", f.Filename, err)
	}
	info, err := inspect.Inspect(ctx, f.Filename, tmp, st.Size())
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", f.Filename, err)
	}
	return info.MetadataBytes, nil
}

func (c *Client) pep658(ctx context.Context, f File) ([]byte, error) {
	resp, err := c.get(ctx, f.URL+".metadata", "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := readCapped(resp.Body, c.opts.MaxMetadataSize, "metadata of "+f.Filename)
	if err != nil {
		return nil, err
	}
	if want := f.CoreMetadataHashes["sha256"]; want != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != want {
			return nil, fmt.Errorf("metadata of %s: %w: sha256 %s, the index says %s", f.Filename, errs.ErrInvalid, got, want)
		}
	}
	return data, nil
}
