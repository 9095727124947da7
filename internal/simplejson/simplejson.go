// Package simplejson holds the JSON shapes of the simple repository API (PEP 691, with
// PEP 700's versions, size and upload-time, PEP 714's core-metadata and PEP 792's
// project status), in one place for the server that writes them, the client that reads
// them (internal/simpleindex) and the test index (internal/simpleindex/indextest). It is
// a leaf: it imports only the standard library.
package simplejson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/pydepot/pydepot/internal/parts"
)

// ContentType is the media type of a JSON simple page, version 1.
const ContentType = "application/vnd.pypi.simple.v1+json"

// Meta is the "meta" object of every page.
type Meta struct {
	APIVersion string `json:"api-version"`
	LastSerial int64  `json:"_last-serial"`
}

// Index is the index page (/simple/): every project.
type Index struct {
	Meta     Meta           `json:"meta"`
	Projects []IndexProject `json:"projects"`
}

// IndexProject is one project of the index page.
type IndexProject struct {
	Name       string `json:"name"`
	LastSerial int64  `json:"_last-serial"`
}

// Project is a project page (/simple/{project}/).
type Project struct {
	Meta          Meta     `json:"meta"`
	Name          string   `json:"name"`
	ProjectStatus *Status  `json:"project-status,omitempty"`
	Versions      []string `json:"versions"`
	Files         []File   `json:"files"`
}

// Status is PEP 792's project status; the reason is left out when there is none.
type Status struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// File is one file of a project page.
type File struct {
	Filename       string            `json:"filename"`
	URL            string            `json:"url"`
	Hashes         map[string]string `json:"hashes"`
	RequiresPython *string           `json:"requires-python,omitempty"`
	// CoreMetadata is PEP 714's key. Writers leave the older "dist-info-metadata" out
	// on purpose: pip 22.3 to 23.1 (Debian 12 ships 23.0.1) crash on its dict form,
	// which is why PEP 714 renamed it; readers take it when core-metadata is absent.
	CoreMetadata     CoreMetadata  `json:"core-metadata"`
	DistInfoMetadata *CoreMetadata `json:"dist-info-metadata,omitempty"`
	Yanked           Yanked        `json:"yanked"`
	Size             *int64        `json:"size,omitempty"` // nil: not given
	UploadTime       string        `json:"upload-time,omitempty"`
}

// CoreMetadata is false, true, or the hashes of the file's core metadata (PEP 658).
type CoreMetadata struct {
	Present bool
	Hashes  map[string]string // nil with Present: true
	given   bool              // read from JSON (null included)
}

// Given reports whether the value was in the JSON read (PEP 714: a reader falls back to
// dist-info-metadata only when core-metadata is absent).
func (c CoreMetadata) Given() bool { return c.given }

// MarshalJSON writes the hashes, true or false.
func (c CoreMetadata) MarshalJSON() ([]byte, error) {
	switch {
	case c.Present && c.Hashes != nil:
		return json.Marshal(c.Hashes)
	case c.Present:
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

// UnmarshalJSON reads a boolean, an object of hashes or null (absent).
func (c *CoreMetadata) UnmarshalJSON(b []byte) error {
	*c = CoreMetadata{given: true}
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case b[0] == '{':
		var h map[string]string
		if err := json.Unmarshal(b, &h); err != nil {
			return fmt.Errorf("bad core-metadata value: %w", err)
		}
		c.Present, c.Hashes = true, h
		return nil
	}
	if err := json.Unmarshal(b, &c.Present); err != nil {
		return fmt.Errorf("bad core-metadata value %s: want true, false or hashes", b)
	}
	return nil
}

// Yanked is PEP 592's value: false, true, or the reason (which means yanked).
type Yanked struct {
	Yanked bool
	Reason string
}

// MarshalJSON writes false, true or the reason.
func (y Yanked) MarshalJSON() ([]byte, error) {
	switch {
	case y.Yanked && y.Reason != "":
		return json.Marshal(y.Reason)
	case y.Yanked:
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

// UnmarshalJSON reads a boolean, a reason or null (not yanked).
func (y *Yanked) UnmarshalJSON(b []byte) error {
	*y = Yanked{}
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case b[0] == '"':
		y.Yanked = true
		return json.Unmarshal(b, &y.Reason)
	}
	if err := json.Unmarshal(b, &y.Yanked); err != nil {
		return fmt.Errorf("bad yanked value %s: want true, false or a reason", b)
	}
	return nil
}

// Marshal returns json.Marshal(p), byte for byte, faster: it writes the page itself
// (reflection over each file's fields and union values was most of rendering a page of
// 5,000 files).
func (p *Project) Marshal() ([]byte, error) {
	b := make([]byte, 0, 256+len(p.Files)*fileSize)
	b = append(b, `{"meta":{"api-version":`...)
	b = AppendString(b, p.Meta.APIVersion)
	b = append(b, `,"_last-serial":`...)
	b = strconv.AppendInt(b, p.Meta.LastSerial, 10)
	b = append(b, `},"name":`...)
	b = AppendString(b, p.Name)
	if p.ProjectStatus != nil {
		b = append(b, `,"project-status":{"status":`...)
		b = AppendString(b, p.ProjectStatus.Status)
		if p.ProjectStatus.Reason != "" {
			b = append(b, `,"reason":`...)
			b = AppendString(b, p.ProjectStatus.Reason)
		}
		b = append(b, '}')
	}
	b = append(b, `,"versions":`...)
	if p.Versions == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, v := range p.Versions {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, v)
		}
		b = append(b, ']')
	}
	b = append(b, `,"files":`...)
	if p.Files == nil {
		return append(b, "null}"...), nil
	}
	b = append(b, '[')
	b = parts.Append(b, len(p.Files), filesPerPart, fileSize, func(b []byte, lo, hi int) []byte {
		for i := lo; i < hi; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.Files[i].appendJSON(b)
		}
		return b
	})
	return append(b, "]}"...), nil
}

// fileSize is about the size of a file's object in a page (a 5,000-file page of
// pydepot's is 2.75 MB): what Marshal makes room for.
const fileSize = 560

// filesPerPart is the fewest files Marshal appends on a core of their own: a file is
// about a microsecond, a goroutine and a copy of the part a few.
const filesPerPart = 1000

// appendJSON appends the file as json.Marshal writes it.
func (f *File) appendJSON(b []byte) []byte {
	b = append(b, `{"filename":`...)
	b = AppendString(b, f.Filename)
	b = append(b, `,"url":`...)
	b = AppendString(b, f.URL)
	b = append(b, `,"hashes":`...)
	b = appendHashes(b, f.Hashes)
	if f.RequiresPython != nil {
		b = append(b, `,"requires-python":`...)
		b = AppendString(b, *f.RequiresPython)
	}
	b = append(b, `,"core-metadata":`...)
	b = f.CoreMetadata.appendJSON(b)
	if f.DistInfoMetadata != nil {
		b = append(b, `,"dist-info-metadata":`...)
		b = f.DistInfoMetadata.appendJSON(b)
	}
	b = append(b, `,"yanked":`...)
	switch {
	case f.Yanked.Yanked && f.Yanked.Reason != "":
		b = AppendString(b, f.Yanked.Reason)
	case f.Yanked.Yanked:
		b = append(b, "true"...)
	default:
		b = append(b, "false"...)
	}
	if f.Size != nil {
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, *f.Size, 10)
	}
	if f.UploadTime != "" {
		b = append(b, `,"upload-time":`...)
		b = AppendString(b, f.UploadTime)
	}
	return append(b, '}')
}

// appendJSON appends what MarshalJSON writes.
func (c CoreMetadata) appendJSON(b []byte) []byte {
	switch {
	case c.Present && c.Hashes != nil:
		return appendHashes(b, c.Hashes)
	case c.Present:
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendHashes appends a map as encoding/json does: null when nil, keys sorted.
func appendHashes(b []byte, h map[string]string) []byte {
	if h == nil {
		return append(b, "null"...)
	}
	if len(h) == 1 { // the usual {"sha256": ...}, without sorting
		for k, v := range h {
			b = append(b, '{')
			b = AppendString(b, k)
			b = append(b, ':')
			b = AppendString(b, v)
			return append(b, '}')
		}
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		b = AppendString(b, h[k])
	}
	return append(b, '}')
}

// The index page written in pieces, for a server that streams it: AppendIndexHead, then
// AppendIndexProject for each project (first true for the first one), then
// AppendIndexTail write, together, what json.Marshal writes for the Index with those
// projects (a non-nil Projects), byte for byte.

// AppendIndexHead appends the start of the index page with meta to b.
func AppendIndexHead(b []byte, meta Meta) []byte {
	b = append(b, `{"meta":{"api-version":`...)
	b = AppendString(b, meta.APIVersion)
	b = append(b, `,"_last-serial":`...)
	b = strconv.AppendInt(b, meta.LastSerial, 10)
	return append(b, `},"projects":[`...)
}

// AppendIndexProject appends one project of the index page to b.
func AppendIndexProject(b []byte, first bool, p IndexProject) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, `{"name":`...)
	b = AppendString(b, p.Name)
	b = append(b, `,"_last-serial":`...)
	b = strconv.AppendInt(b, p.LastSerial, 10)
	return append(b, '}')
}

// AppendIndexTail appends the end of the index page to b.
func AppendIndexTail(b []byte) []byte { return append(b, "]}"...) }

// AppendString appends s as encoding/json writes it: printable ASCII as is, with the
// five characters it escapes among them (", \, <, >, &) escaped here, since a page's
// requires-python (">=3.8") has them on every file; control characters and anything
// outside ASCII go through json.Marshal, which escapes those and invalid UTF-8.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '<':
			esc = `\u003c`
		case '>':
			esc = `\u003e`
		case '&':
			esc = `\u0026`
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
