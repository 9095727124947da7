package metadata

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"

	"github.com/pydepot/pydepot/internal/errs"
)

type oracleMeta struct {
	Name          string   `json:"name"`
	Version       *string  `json:"version"`
	RequiresDist  []string `json:"requires_dist"`
	Classifiers   []string `json:"classifiers"`
	Summary       string   `json:"summary"`
	ProvidesExtra []string `json:"provides_extra"`
	Body          string   `json:"body"`
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestInstalled parses every installed METADATA and compares with Python's email parser.
func TestInstalled(t *testing.T) {
	files := testdist.InstalledMetadata(t)
	var want []oracleMeta
	testdist.RunPython(t, testdist.PackagingOracle(t), "testdata/oracle.py", files, &want)
	parsed, reqs := 0, 0
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(data)
		w := want[i]
		if w.Version == nil {
			if err == nil {
				t.Errorf("%s: Parse accepted Version %q that packaging rejects", f, m.Version)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		parsed++
		if m.Name != w.Name || m.Version != *w.Version {
			t.Errorf("%s: name/version %s %s, want %s %s", f, m.Name, m.Version, w.Name, *w.Version)
		}
		if !slices.Equal(m.RequiresDist, w.RequiresDist) || !slices.Equal(m.Classifiers, w.Classifiers) ||
			!slices.Equal(m.ProvidesExtra, w.ProvidesExtra) {
			t.Errorf("%s: multi-use fields differ", f)
		}
		if collapse(m.Summary) != collapse(w.Summary) {
			t.Errorf("%s: summary %q, want %q", f, m.Summary, w.Summary)
		}
		if strings.TrimSpace(w.Body) != "" && m.Description != w.Body {
			t.Errorf("%s: description differs from the body", f)
		}
		rs, err := m.Requirements()
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		reqs += len(rs)
	}
	t.Logf("%d files, %d parsed, %d requirements", len(files), parsed, reqs)
}

func TestParse(t *testing.T) {
	data := "Metadata-Version: 2.1\r\n" +
		"Name: Foo_Bar\r\n" +
		"Version: 01.0.0-RC1\r\n" +
		"Summary: A\r\n" +
		"  folded summary\r\n" +
		"Requires-Dist: six (>=1.0)\r\n" +
		"requires-dist: idna; extra == 'x'\r\n" +
		"Provides-Extra: x\r\n" +
		"Import-Name: foo_bar\r\n" +
		"Import-Name: foo_bar._speedups\r\n" +
		"License: line one\r\n" +
		"       |line two\r\n" +
		"        line three\r\n" +
		"X-Unknown: ignored\r\n" +
		"\r\n" +
		"# Body\r\n\r\ntext\r\n"
	m, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Foo_Bar" || m.Version != "1.0.0rc1" || m.NormalizedName() != "foo-bar" {
		t.Errorf("name/version %q %q", m.Name, m.Version)
	}
	if m.Summary != "A folded summary" {
		t.Errorf("summary %q", m.Summary)
	}
	if !slices.Equal(m.RequiresDist, []string{"six (>=1.0)", "idna; extra == 'x'"}) {
		t.Errorf("requires-dist %q", m.RequiresDist)
	}
	if m.License != "line one\nline two\nline three" {
		t.Errorf("license %q", m.License)
	}
	if m.Description != "# Body\r\n\r\ntext\r\n" {
		t.Errorf("description %q", m.Description)
	}
	if !slices.Equal(m.ImportNames, []string{"foo_bar", "foo_bar._speedups"}) {
		t.Errorf("import names %q", m.ImportNames)
	}
	rs, err := m.Requirements()
	if err != nil || len(rs) != 2 || rs[0].Name != "six" || rs[1].Marker.IsZero() {
		t.Errorf("Requirements() = %v, %v", rs, err)
	}
}

func TestDescriptionHeader(t *testing.T) {
	// Metadata 1.x with the description in a header, distutils style.
	data := "Metadata-Version: 1.1\nName: old\nVersion: 0.1\nDescription: First\n        \n        Second\n          indented\nPlatform: UNKNOWN\n"
	m, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if m.Description != "First\n\nSecond\n  indented" {
		t.Errorf("description %q", m.Description)
	}
	if !slices.Equal(m.Platforms, []string{"UNKNOWN"}) {
		t.Errorf("platforms %q", m.Platforms)
	}
}

func TestLatin1(t *testing.T) {
	m, err := Parse([]byte("Metadata-Version: 1.0\nName: x\nVersion: 1\nAuthor: Jos\xe9\n"))
	if err != nil || m.Author != "José" {
		t.Errorf("Author = %q, %v", m.Author, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ data, want string }{
		{"Name: x\nVersion: 1\n", "missing Metadata-Version"},
		{"Metadata-Version: 2.1\nVersion: 1\n", "missing Name"},
		{"Metadata-Version: 2.1\nName: x\n", "missing Version"},
		{"Metadata-Version: 2.1\nName: x\nVersion: 1.0-foo\n", `Version "1.0-foo" is not a valid PEP 440 version`},
		{"Metadata-Version: 2.1\nName: -x\nVersion: 1\n", `Name "-x" is not a valid project name`},
		{"Metadata-Version: 3.0\nName: x\nVersion: 1\n", "Metadata-Version 3.0 is not supported"},
		{"Metadata-Version: two\nName: x\nVersion: 1\n", "Metadata-Version"},
		{"Metadata-Version: 2.1\nName: x\nName: y\nVersion: 1\n", "Name appears more than once"},
		{"garbage\nMetadata-Version: 2.1\nName: x\nVersion: 1\n", "missing Metadata-Version"},
		{"\x00\x01\x02", "missing Metadata-Version"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.data))
		if err == nil || !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want ErrInvalid containing %q", tt.data, err, tt.want)
		}
	}
	m, err := Parse([]byte("Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Dist: bad name!\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Requirements(); err == nil || !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "bad name!") {
		t.Errorf("Requirements() error = %v", err)
	}
	if _, err := Parse(make([]byte, MaxSize+1)); !errors.Is(err, errs.ErrTooLarge) {
		t.Errorf("oversized metadata: %v", err)
	}
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.1\nName: x\nVersion: 1\nRequires-Dist: a>=1; extra == 'b'\n\nbody"))
	f.Add([]byte("Metadata-Version: 1.0\nName: x\nVersion: 1\nDescription: a\n       |b\n"))
	f.Add([]byte("Metadata-Version: 2.4\nName: x\nVersion: 1!2.0.post1\nLicense-Expression: MIT\nImport-Name: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, errs.ErrTooLarge) {
				t.Fatalf("error category: %v", err)
			}
			return
		}
		if m.Name == "" || m.Version == "" {
			t.Fatalf("accepted metadata without name or version: %+v", m)
		}
		_, _ = m.Requirements()
	})
}

// StaticDependencies is PEP 643's rule, shared by the resolver (index sdists) and
// create (--find-links sdists): a PKG-INFO is trusted for its dependencies from
// metadata 2.2 on, unless Requires-Dist or Requires-Python is Dynamic.
func TestStaticDependencies(t *testing.T) {
	for _, tt := range []struct {
		version, dynamic string
		want             bool
	}{
		{"2.1", "", false},
		{"1.0", "", false},
		{"2.2", "", true},
		{"2.4", "", true},
		{"2.2", "Requires-Dist", false},
		{"2.3", "requires-python", false},
		{"2.2", "Description", true},
	} {
		text := "Metadata-Version: " + tt.version + "\nName: demo\nVersion: 1.0\n"
		if tt.dynamic != "" {
			text += "Dynamic: " + tt.dynamic + "\n"
		}
		md, err := Parse([]byte(text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got := md.StaticDependencies(); got != tt.want {
			t.Errorf("metadata %s, Dynamic %q: StaticDependencies() = %v, want %v", tt.version, tt.dynamic, got, tt.want)
		}
	}
}

// TestParseAllocs: parsing a short METADATA (what a sync of small wheels parses
// thousands of) does not lower each header name into a new string, nor grow the header
// list line by line: it was 16 allocations for this one, 8 now.
func TestParseAllocs(t *testing.T) {
	data := []byte("Metadata-Version: 2.1\nName: bench-project-00042\nVersion: 1.3\nSummary: sync benchmark project\nRequires-Python: >=3.8\n\n")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Parse(data); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.0f allocations", allocs)
	if allocs > 10 {
		t.Errorf("Parse of a %d-byte METADATA: %.0f allocations, want at most 10", len(data), allocs)
	}
}
