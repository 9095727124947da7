// Package metadata reads core metadata 1.0 to 2.4 (a wheel's METADATA, an sdist's PKG-INFO),
// which is written as RFC 822 email headers with an optional body as the description.
//
// Reading rules:
//   - the header section ends at the first empty line; what follows is the body, which
//     is the description (metadata 2.1 and later, and accepted for older files too);
//   - a line starting with a space or a tab continues the previous header; for
//     Description and License the continuation keeps line breaks and drops the
//     indentation (8 spaces, or 7 spaces and "|" as the specification writes it), for
//     other fields the lines are joined with one space;
//   - field names are case-insensitive; multi-use fields keep every value in order;
//     a repeated single-use field keeps its first value, except Metadata-Version, Name
//     and Version, which must appear once;
//   - bytes that are not UTF-8 are read as Latin-1, as old PKG-INFO files were written.
package metadata

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/versions"
)

// Metadata holds the fields pydepot uses. Multi-use fields are slices in file order.
type Metadata struct {
	MetadataVersion        string
	Name                   string
	Version                string // canonical PEP 440 form
	Summary                string
	Description            string
	DescriptionContentType string
	Keywords               string
	HomePage               string
	DownloadURL            string
	Author                 string
	AuthorEmail            string
	Maintainer             string
	MaintainerEmail        string
	License                string
	LicenseExpression      string
	LicenseFiles           []string
	Classifiers            []string
	Platforms              []string
	RequiresDist           []string
	RequiresPython         string
	RequiresExternal       []string
	ProjectURLs            []string
	ProvidesExtra          []string
	ProvidesDist           []string
	ObsoletesDist          []string
	Dynamic                []string
	ImportNames            []string // PEP 794 Import-Name
	ImportNamespaces       []string // PEP 794 Import-Namespace
	SupportedPlatforms     []string
}

// field describes where one header goes.
type field struct {
	single    func(m *Metadata) *string
	multi     func(m *Metadata) *[]string
	multiline bool // keeps line breaks in continuation lines
}

var fields = map[string]field{
	"metadata-version":         {single: func(m *Metadata) *string { return &m.MetadataVersion }},
	"name":                     {single: func(m *Metadata) *string { return &m.Name }},
	"version":                  {single: func(m *Metadata) *string { return &m.Version }},
	"summary":                  {single: func(m *Metadata) *string { return &m.Summary }},
	"description":              {single: func(m *Metadata) *string { return &m.Description }, multiline: true},
	"description-content-type": {single: func(m *Metadata) *string { return &m.DescriptionContentType }},
	"keywords":                 {single: func(m *Metadata) *string { return &m.Keywords }},
	"home-page":                {single: func(m *Metadata) *string { return &m.HomePage }},
	"download-url":             {single: func(m *Metadata) *string { return &m.DownloadURL }},
	"author":                   {single: func(m *Metadata) *string { return &m.Author }},
	"author-email":             {single: func(m *Metadata) *string { return &m.AuthorEmail }},
	"maintainer":               {single: func(m *Metadata) *string { return &m.Maintainer }},
	"maintainer-email":         {single: func(m *Metadata) *string { return &m.MaintainerEmail }},
	"license":                  {single: func(m *Metadata) *string { return &m.License }, multiline: true},
	"license-expression":       {single: func(m *Metadata) *string { return &m.LicenseExpression }},
	"license-file":             {multi: func(m *Metadata) *[]string { return &m.LicenseFiles }},
	"classifier":               {multi: func(m *Metadata) *[]string { return &m.Classifiers }},
	"platform":                 {multi: func(m *Metadata) *[]string { return &m.Platforms }},
	"supported-platform":       {multi: func(m *Metadata) *[]string { return &m.SupportedPlatforms }},
	"requires-dist":            {multi: func(m *Metadata) *[]string { return &m.RequiresDist }},
	"requires-python":          {single: func(m *Metadata) *string { return &m.RequiresPython }},
	"requires-external":        {multi: func(m *Metadata) *[]string { return &m.RequiresExternal }},
	"project-url":              {multi: func(m *Metadata) *[]string { return &m.ProjectURLs }},
	"provides-extra":           {multi: func(m *Metadata) *[]string { return &m.ProvidesExtra }},
	"provides-dist":            {multi: func(m *Metadata) *[]string { return &m.ProvidesDist }},
	"obsoletes-dist":           {multi: func(m *Metadata) *[]string { return &m.ObsoletesDist }},
	"dynamic":                  {multi: func(m *Metadata) *[]string { return &m.Dynamic }},
	"import-name":              {multi: func(m *Metadata) *[]string { return &m.ImportNames }},
	"import-namespace":         {multi: func(m *Metadata) *[]string { return &m.ImportNamespaces }},
}

// Header is one raw header: its name as written and its unfolded value.
type Header struct {
	Name, Value string
}

// MaxSize is the largest metadata file Parse accepts.
const MaxSize = 16 << 20

func invalid(format string, args ...any) error {
	return fmt.Errorf("metadata: %s: %w", fmt.Sprintf(format, args...), errs.ErrInvalid)
}

// Parse parses METADATA/PKG-INFO bytes. It requires Metadata-Version, a valid Name and a
// valid Version; errors wrap errs.ErrInvalid and name the field.
func Parse(data []byte) (*Metadata, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("metadata: %d bytes, over the %d byte limit: %w", len(data), MaxSize, errs.ErrTooLarge)
	}
	headers, body := Split(data)
	m := &Metadata{}
	seen := map[*string]bool{} // the single-use fields set
	var lower [maxFieldName]byte
	for _, h := range headers {
		// Header names are ASCII (Split ends the headers at any other byte): lowered
		// in place, not into a new string each.
		if len(h.Name) > maxFieldName {
			continue
		}
		key := lower[:len(h.Name)]
		for i := 0; i < len(h.Name); i++ {
			c := h.Name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			key[i] = c
		}
		f, ok := fields[string(key)]
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
		p := f.single(m)
		if seen[p] {
			if p == &m.MetadataVersion || p == &m.Name || p == &m.Version {
				return nil, invalid("%s appears more than once", h.Name)
			}
			continue
		}
		seen[p] = true
		*p = v
	}
	if b := strings.TrimRight(body, "\r\n"); b != "" && strings.TrimSpace(b) != "" {
		m.Description = body
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// maxFieldName is the longest field name Parse knows (description-content-type), and
// a little more.
const maxFieldName = 32

func (m *Metadata) validate() error {
	if m.MetadataVersion == "" {
		return invalid("missing Metadata-Version")
	}
	mv, err := versions.Parse(m.MetadataVersion)
	if err != nil || len(mv.Release()) != 2 {
		return invalid("Metadata-Version %q is not of the form MAJOR.MINOR", m.MetadataVersion)
	}
	if major := mv.Release()[0]; major < 1 || major > 2 {
		return invalid("Metadata-Version %s is not supported (1.0 to 2.x)", m.MetadataVersion)
	}
	if m.Name == "" {
		return invalid("missing Name")
	}
	if !names.Valid(m.Name) {
		return invalid("Name %q is not a valid project name", m.Name)
	}
	if m.Version == "" {
		return invalid("missing Version")
	}
	v, err := versions.Parse(m.Version)
	if err != nil {
		return invalid("Version %q is not a valid PEP 440 version", m.Version)
	}
	m.Version = v.String()
	return nil
}

// Split splits metadata bytes into headers (in file order, values unfolded with their
// line breaks kept) and the body. Lines without a colon in the header section end it,
// as an email parser does.
//
// It runs in time linear in len(data): a header's value is the substring of the text
// that spans its first line and its continuation lines (which are contiguous), taken
// once when the header ends, never appended to line by line.
func Split(data []byte) ([]Header, string) {
	text := decode(data)
	// Room for as many headers as the first lines, so that a short file's headers do not
	// grow the slice line by line.
	headers := make([]Header, 0, min(strings.Count(text[:min(len(text), 2048)], "\n"), 64)+1)
	// The open header: its name, where its value starts and where its last line ends.
	name, start, end, open := "", 0, 0, false
	closeHeader := func() {
		if open {
			headers = append(headers, Header{Name: name, Value: dropCR(text[start:end])})
			open = false
		}
	}
	pos := 0
	for pos < len(text) {
		lineEnd, next := len(text), len(text)
		if i := strings.IndexByte(text[pos:], '\n'); i >= 0 {
			lineEnd, next = pos+i, pos+i+1
		}
		line := strings.TrimSuffix(text[pos:lineEnd], "\r")
		switch {
		case line == "":
			closeHeader()
			return headers, text[next:]
		case line[0] == ' ' || line[0] == '\t':
			if !open {
				closeHeader()
				return headers, text[pos:]
			}
			end = lineEnd
		default:
			n, _, ok := strings.Cut(line, ":")
			if !ok || !validHeaderName(n) {
				closeHeader()
				return headers, text[pos:]
			}
			closeHeader()
			name, end, open = n, lineEnd, true
			start = pos + len(n) + 1
			for start < end && (text[start] == ' ' || text[start] == '\t') {
				start++
			}
		}
		pos = next
	}
	closeHeader()
	return headers, ""
}

// dropCR removes the "\r" of every "\r\n" and a final "\r": the value's lines as read.
func dropCR(v string) string {
	if strings.IndexByte(v, '\r') < 0 {
		return v
	}
	return strings.TrimSuffix(strings.ReplaceAll(v, "\r\n", "\n"), "\r")
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

func decode(data []byte) string {
	if utf8.Valid(data) {
		return strings.TrimPrefix(string(data), "\ufeff")
	}
	var b strings.Builder
	b.Grow(len(data) + len(data)/2)
	for _, c := range data {
		b.WriteRune(rune(c))
	}
	return b.String()
}

// unfoldLine joins continuation lines with one space.
func unfoldLine(v string) string {
	if !strings.Contains(v, "\n") {
		return strings.TrimSpace(v)
	}
	parts := strings.Split(v, "\n")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

// unfoldMultiline keeps line breaks and removes the continuation indentation: "       |"
// (the specification's form) or up to 8 spaces (distutils' form).
func unfoldMultiline(v string) string {
	lines := strings.Split(v, "\n")
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "       |") {
			lines[i] = l[8:]
			continue
		}
		if strings.HasPrefix(l, "\t") {
			lines[i] = l[1:]
			continue
		}
		n := 0
		for n < 8 && n < len(l) && l[n] == ' ' {
			n++
		}
		lines[i] = l[n:]
	}
	return strings.TrimRight(strings.Join(lines, "\n"), " \t\r\n")
}

// Requirements parses RequiresDist. Errors wrap errs.ErrInvalid and quote the entry.
func (m *Metadata) Requirements() ([]requirements.Requirement, error) {
	out := make([]requirements.Requirement, 0, len(m.RequiresDist))
	for _, s := range m.RequiresDist {
		r, err := requirements.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("metadata: Requires-Dist %q: %w", s, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// NormalizedName returns the PEP 503 normalized Name.
func (m *Metadata) NormalizedName() string { return names.Normalize(m.Name) }

// StaticDependencies reports whether the metadata of an sdist (its PKG-INFO) can be
// trusted for Requires-Dist and Requires-Python without building it (PEP 643:
// metadata 2.2 or later, and neither field Dynamic).
func (m *Metadata) StaticDependencies() bool {
	v, err := versions.Parse(m.MetadataVersion)
	if err != nil || v.Compare(versions.MustParse("2.2")) < 0 {
		return false
	}
	for _, d := range m.Dynamic {
		if d = strings.ToLower(d); d == "requires-dist" || d == "requires-python" {
			return false
		}
	}
	return true
}
