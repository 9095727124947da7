package index

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pydepot/pydepot/internal/metadata"
)

var parsedSeeds = []string{
	"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: a demo\nRequires-Python: >=3.8\n",
	"Metadata-Version: 2.4\nName: full\nVersion: 2.0rc1\nSummary: quotes \" and \\ and \t tabs\nAuthor: Zoë <z@example.org>\n" +
		"License-Expression: MIT\nLicense-File: LICENSE\nClassifier: A :: B\nClassifier: C :: D\nRequires-Dist: x>=1; extra == \"y\"\n" +
		"Provides-Extra: y\nProject-URL: Home, https://example.org\nDynamic: Classifier\nImport-Name: full\n\nA description\nover two lines\x01 with a control byte\n",
	"Metadata-Version: 2.1\nName: odd\nVersion: 1\nSummary: bad utf-8 \xff\xfe here\n",
}

// TestEncodeParsed: the stored form of parsed metadata reads back (json.Unmarshal) into
// the metadata it was made from, and so does what json.Marshal stored before; it holds
// the non-empty fields only.
func TestEncodeParsed(t *testing.T) {
	for _, raw := range parsedSeeds {
		checkEncodeParsed(t, []byte(raw))
	}
	m, err := metadata.Parse([]byte(parsedSeeds[0]))
	if err != nil {
		t.Fatal(err)
	}
	b := encodeParsed(m)
	if want := `{"MetadataVersion":"2.1","Name":"demo","Version":"1.0","Summary":"a demo","RequiresPython":"\u003e=3.8"}`; string(b) != want {
		t.Errorf("encodeParsed = %s, want %s", b, want)
	}
	for _, raw := range parsedSeeds[1:] {
		if _, err := metadata.Parse([]byte(raw)); err != nil {
			t.Errorf("a seed does not parse: %v", err)
		}
	}
}

func checkEncodeParsed(t *testing.T, raw []byte) {
	t.Helper()
	m, err := metadata.Parse(raw)
	if err != nil {
		return
	}
	b := encodeParsed(m)
	var back metadata.Metadata
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	// json.Marshal turns invalid UTF-8 into U+FFFD as encodeParsed does: compare what
	// both read back.
	old, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var oldBack metadata.Metadata
	if err := json.Unmarshal(old, &oldBack); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, oldBack) {
		t.Fatalf("encodeParsed reads back as\n%+v\njson.Marshal as\n%+v", back, oldBack)
	}
}

func FuzzEncodeParsed(f *testing.F) {
	for _, s := range parsedSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkEncodeParsed(t, raw) })
}
