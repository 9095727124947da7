package installer

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
)

// RecordEntry is one row of a RECORD file.
type RecordEntry struct {
	Path string // slash-separated, relative to the directory holding the .dist-info
	Hash string // "sha256=<urlsafe b64, no padding>", or "" (RECORD itself)
	Size int64  // -1 when the size column is empty
}

// ParseRecord parses a RECORD file (CSV: path,hash,size), checking its syntax only, so
// that it also reads the RECORD files installers leave behind (Debian's hold hex digests
// and duplicate rows). It rejects rows with a number of columns other than 3, empty,
// absolute or NUL-holding paths, hashes without "=", and sizes that are not
// non-negative integers; errors wrap errs.ErrInvalid. Paths with ".." are accepted (an
// installed RECORD lists "../../../bin/x").
//
// Install is stricter with a wheel's RECORD: no duplicate paths, every hash sha256,
// sha384 or sha512 in urlsafe base64 without padding, and only entries that match archive
// members (which internal/archives has already checked) are trusted.
func ParseRecord(data []byte) ([]RecordEntry, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	var out []RecordEntry
	for line := 1; ; line++ {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("RECORD: %v: %w", err, errs.ErrInvalid)
		}
		if len(row) != 3 {
			return nil, fmt.Errorf("RECORD row %d: %d columns, want 3 (path,hash,size): %w", line, len(row), errs.ErrInvalid)
		}
		e := RecordEntry{Path: row[0], Hash: row[1], Size: -1}
		switch {
		case e.Path == "":
			return nil, fmt.Errorf("RECORD row %d: empty path: %w", line, errs.ErrInvalid)
		case strings.HasPrefix(e.Path, "/") || strings.ContainsAny(e.Path, "\x00\r\n"):
			// A line break inside a quoted path cannot be a wheel's file name, and CSV does
			// not keep it (a quoted "\r\n" reads back as "\n").
			return nil, fmt.Errorf("RECORD row %d: path %q is absolute or holds NUL or a line break: %w", line, e.Path, errs.ErrInvalid)
		case e.Hash != "" && !strings.Contains(e.Hash, "="):
			return nil, fmt.Errorf("RECORD row %d (%s): hash %q is not alg=value: %w", line, e.Path, e.Hash, errs.ErrInvalid)
		}
		if row[2] != "" {
			n, err := strconv.ParseInt(row[2], 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("RECORD row %d (%s): size %q is not a non-negative integer: %w", line, e.Path, row[2], errs.ErrInvalid)
			}
			e.Size = n
		}
		out = append(out, e)
	}
	return out, nil
}

// decodeHash splits "alg=b64" and returns a new hasher and the raw digest.
func decodeHash(s string) (func() hash.Hash, []byte, error) {
	alg, val, ok := strings.Cut(s, "=")
	if !ok {
		return nil, nil, fmt.Errorf("hash %q is not alg=value: %w", s, errs.ErrInvalid)
	}
	var h func() hash.Hash
	var n int
	switch alg {
	case "sha256":
		h, n = sha256.New, sha256.Size
	case "sha384":
		h, n = sha512.New384, sha512.Size384
	case "sha512":
		h, n = sha512.New, sha512.Size
	default:
		return nil, nil, fmt.Errorf("hash algorithm %q is not accepted (sha256, sha384, sha512): %w", alg, errs.ErrInvalid)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(val, "="))
	if err != nil || len(raw) != n {
		return nil, nil, fmt.Errorf("hash %q is not urlsafe base64 of a %s digest: %w", s, alg, errs.ErrInvalid)
	}
	return h, raw, nil
}

// encodeSHA256 formats a RECORD hash.
func encodeSHA256(sum []byte) string {
	return "sha256=" + base64.RawURLEncoding.EncodeToString(sum)
}

// writeRecord renders entries as RECORD CSV.
func writeRecord(entries []RecordEntry) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for _, e := range entries {
		size := ""
		if e.Size >= 0 {
			size = strconv.FormatInt(e.Size, 10)
		}
		_ = w.Write([]string{e.Path, e.Hash, size})
	}
	w.Flush()
	return b.Bytes()
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
