package metadata

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

// referenceParse is Parse as it was before it stopped lowering each header name into a new string; it parses METADATA/PKG-INFO bytes. It requires Metadata-Version, a valid Name and a
// valid Version; errors wrap errs.ErrInvalid and name the field.
func referenceParse(data []byte) (*Metadata, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("metadata: %d bytes, over the %d byte limit: %w", len(data), MaxSize, errs.ErrTooLarge)
	}
	headers, body := Split(data)
	m := &Metadata{}
	seen := map[string]bool{}
	for _, h := range headers {
		key := strings.ToLower(h.Name)
		f, ok := fields[key]
		if !ok {
			continue
		}
		v := h.Value
		if !f.multiline {
			v = unfoldLine(v)
		} else {
			v = unfoldMultiline(v)
		}
		if f.multi != nil {
			p := f.multi(m)
			*p = append(*p, v)
			continue
		}
		if seen[key] {
			switch key {
			case "metadata-version", "name", "version":
				return nil, invalid("%s appears more than once", h.Name)
			}
			continue
		}
		seen[key] = true
		*f.single(m) = v
	}
	if b := strings.TrimRight(body, "\r\n"); b != "" && strings.TrimSpace(b) != "" {
		m.Description = body
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// FuzzParseReference: Parse gives referenceParse's result, or an error of the same kind.
func FuzzParseReference(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.1\nName: x\nVersion: 1\nSUMMARY: a\nsummary: b\nRequires-Dist: a>=1; extra == 'b'\n\nbody"))
	f.Add([]byte("Metadata-Version: 1.0\nName: x\nVersion: 1\nDescription: a\n       |b\nNAME: y\n"))
	f.Add([]byte("Metadata-Version: 2.4\nName: x\nVersion: 1!2.0.post1\nLicense-Expression: MIT\nImport-Name: x\nSummary:\nSummary: late\n"))
	f.Add([]byte("Metadata-Version: 2.4\nName: x\nVersion: 1\nDescription-Content-Type-And-More-Than-Thirty-Two: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse(data)
		want, werr := referenceParse(data)
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Fatalf("Parse: %v; before: %v", err, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse: %+v; before: %+v", got, want)
		}
	})
}
