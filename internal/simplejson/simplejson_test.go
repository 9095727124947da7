package simplejson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestFileValues writes each form of the union values and reads them back, and reads
// the forms other indexes write.
func TestFileValues(t *testing.T) {
	size := int64(7)
	for _, f := range []File{
		{Filename: "a.whl", URL: "a", Hashes: map[string]string{"sha256": "00"}},
		{Filename: "b.whl", URL: "b", Hashes: map[string]string{}, Size: &size,
			CoreMetadata: CoreMetadata{Present: true, Hashes: map[string]string{"sha256": "11"}}, Yanked: Yanked{Yanked: true}},
		{Filename: "c.whl", URL: "c", Hashes: map[string]string{}, CoreMetadata: CoreMetadata{Present: true}, Yanked: Yanked{Yanked: true, Reason: "broken"}},
	} {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		var back File
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !back.CoreMetadata.Given() {
			t.Errorf("%s: core-metadata not seen", b)
		}
		back.CoreMetadata.given = false
		if !reflect.DeepEqual(back, f) {
			t.Errorf("%s read back as %+v, want %+v", b, back, f)
		}
	}
	var f File
	if err := json.Unmarshal([]byte(`{"filename":"x","yanked":null,"core-metadata":null}`), &f); err != nil || f.Yanked.Yanked || f.CoreMetadata.Present || !f.CoreMetadata.Given() {
		t.Errorf("nulls: %+v, %v", f, err)
	}
	f = File{}
	if err := json.Unmarshal([]byte(`{"filename":"x","dist-info-metadata":{"sha256":"22"}}`), &f); err != nil || f.CoreMetadata.Given() || f.DistInfoMetadata == nil || f.DistInfoMetadata.Hashes["sha256"] != "22" {
		t.Errorf("older key only: %+v, %v", f, err)
	}
	for _, bad := range []string{`{"yanked":1}`, `{"core-metadata":"yes"}`, `{"core-metadata":{"sha256":1}}`} {
		if err := json.Unmarshal([]byte(bad), &f); err == nil || !strings.Contains(err.Error(), "bad ") {
			t.Errorf("%s: err = %v, want it refused naming the value", bad, err)
		}
	}
}

// TestProjectMarshal: Project.Marshal writes what json.Marshal writes, for every form of
// the union values and strings encoding/json escapes.
func TestProjectMarshal(t *testing.T) {
	size := int64(12)
	rp := ">=3.8, <4"
	odd := "a<b>&\"c\"\\\n\u2028é\xff"
	for _, p := range []Project{
		{},
		{Meta: Meta{APIVersion: "1.4", LastSerial: 3}, Name: "x", Versions: []string{}, Files: []File{}},
		{Name: odd, ProjectStatus: &Status{Status: "quarantined", Reason: odd}, Versions: []string{"1.0", odd}, Files: []File{
			{Filename: "a.whl", URL: "../a", Hashes: map[string]string{"sha256": "00", "md5": "11", odd: odd}},
			{Filename: odd, URL: odd, Hashes: nil, RequiresPython: &rp, Size: &size, UploadTime: "2025-01-01T00:00:00.000000Z",
				CoreMetadata: CoreMetadata{Present: true}, Yanked: Yanked{Yanked: true}},
			{Filename: "c", Hashes: map[string]string{}, CoreMetadata: CoreMetadata{Present: true, Hashes: map[string]string{"sha256": odd}},
				DistInfoMetadata: &CoreMetadata{Present: true, Hashes: map[string]string{"sha256": "22"}}, Yanked: Yanked{Yanked: true, Reason: odd}},
			{Filename: "d", DistInfoMetadata: &CoreMetadata{}, Yanked: Yanked{Reason: "ignored when not yanked"}},
			{Filename: "e", CoreMetadata: CoreMetadata{Hashes: map[string]string{"sha256": "ignored when not present"}}},
		}},
		manyFiles(2*filesPerPart + 1), // appended in parts, on the cores
	} {
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Marshal()
		if err != nil || string(got) != string(want) {
			t.Errorf("Marshal = %s, %v\nwant       %s", got, err, want)
		}
	}
}

// manyFiles is a project of n distinct files.
func manyFiles(n int) Project {
	p := Project{Name: "many", Versions: []string{}, Files: make([]File, n)}
	for i := range p.Files {
		size := int64(i)
		p.Files[i] = File{Filename: fmt.Sprintf("many-1.%d.tar.gz", i), URL: fmt.Sprintf("../f/%d", i),
			Hashes: map[string]string{"sha256": fmt.Sprintf("%064x", i)}, Size: &size, Yanked: Yanked{Yanked: i%7 == 0, Reason: "r<"}}
	}
	return p
}

// indexPieces writes ix through the Append functions.
func indexPieces(ix Index) []byte {
	b := AppendIndexHead(nil, ix.Meta)
	for i, p := range ix.Projects {
		b = AppendIndexProject(b, i == 0, p)
	}
	return AppendIndexTail(b)
}

func TestIndexPiecesMarshal(t *testing.T) {
	for _, projects := range [][]IndexProject{
		{},
		{{Name: "one", LastSerial: 1}},
		{{Name: "Demo_Pkg", LastSerial: 42}, {Name: "a.b-c", LastSerial: 0}, {Name: "x", LastSerial: -1}},
		{{Name: `q"uote\back`}, {Name: "<script>&amp;"}, {Name: "tab\tnl\n\x00"}, {Name: "caf\u00e9 \u2028"}, {Name: "bad\xffutf8"}, {Name: "del\x7f"}},
	} {
		ix := Index{Meta: Meta{APIVersion: "1.4", LastSerial: 1 << 40}, Projects: projects}
		want, err := json.Marshal(ix)
		if err != nil {
			t.Fatal(err)
		}
		if got := indexPieces(ix); !bytes.Equal(got, want) {
			t.Errorf("pieces:\n%s\njson.Marshal:\n%s", got, want)
		}
	}
}

func FuzzIndexPieces(f *testing.F) {
	f.Add("demo-pkg", int64(7))
	f.Add("<&>\"\\\x00\xff\u2029", int64(-3))
	f.Fuzz(func(t *testing.T, name string, serial int64) {
		ix := Index{Meta: Meta{APIVersion: name, LastSerial: serial}, Projects: []IndexProject{{Name: name, LastSerial: serial}, {Name: "b"}}}
		want, _ := json.Marshal(ix)
		if got := indexPieces(ix); !bytes.Equal(got, want) {
			t.Fatalf("pieces %q, json.Marshal %q", got, want)
		}
	})
}

func FuzzProjectMarshal(f *testing.F) {
	f.Add("demo", "demo-1.0.whl", "sha256", ">=3.8", "", int64(10), true, false)
	f.Add("<&>", "a\xffb", "\u2028", "\x00", "reason", int64(-1), false, true)
	f.Fuzz(func(t *testing.T, name, filename, key, rp, reason string, size int64, present, yanked bool) {
		p := Project{Meta: Meta{APIVersion: name, LastSerial: size}, Name: name, ProjectStatus: &Status{Status: name, Reason: reason},
			Versions: []string{name, filename}, Files: []File{
				{Filename: filename, URL: name, Hashes: map[string]string{key: filename, "sha256": rp}, RequiresPython: &rp, Size: &size,
					CoreMetadata: CoreMetadata{Present: present, Hashes: map[string]string{key: rp}}, Yanked: Yanked{Yanked: yanked, Reason: reason}, UploadTime: reason},
				{Filename: key, Hashes: map[string]string{key: name}, DistInfoMetadata: &CoreMetadata{Present: present}, Yanked: Yanked{Yanked: yanked}},
			}}
		want, _ := json.Marshal(p)
		if got, err := p.Marshal(); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Marshal %s, json.Marshal %s", got, want)
		}
	})
}
