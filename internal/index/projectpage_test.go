package index_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
)

// TestProjectPage: ProjectPage reads the project as Project does, in the same order,
// with every field a simple page shows (versions sorted by PEP 440, not by text).
func TestProjectPage(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	for _, v := range []string{"1.10", "1.9", "1.0rc1", "2.0", "1.0"} {
		name, data := synthWheel("page-demo", v)
		upload(t, s, name, data)
	}
	if err := s.Yank(ctx, index.DefaultName, "page-demo", "1.9", "broken"); err != nil {
		t.Fatal(err)
	}
	d := mainDist(t, s)
	full, err := s.Project(ctx, d, "Page_Demo")
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.ProjectPage(ctx, d, "Page_Demo")
	if err != nil {
		t.Fatal(err)
	}
	if page.Name != full.Name || page.DisplayName != full.DisplayName || page.Serial != full.Serial || page.Status != full.Status ||
		len(page.Files) != len(full.Files) || len(page.Files) != 5 {
		t.Fatalf("page %+v, project %+v", page, full)
	}
	for i, f := range full.Files {
		g := page.Files[i]
		if g.Filename != f.Filename || g.Version != f.Version || g.SHA256 != f.SHA256 || g.Size != f.Size || !g.UploadTime.Equal(f.UploadTime) ||
			g.RequiresPython != f.RequiresPython || g.MetadataSHA256 != f.MetadataSHA256 || g.Yanked != f.Yanked || g.YankReason != f.YankReason {
			t.Errorf("file %d: page %+v, project %+v", i, g, f)
		}
	}
	want := []string{"1.0rc1", "1.0", "1.9", "1.10", "2.0"}
	if len(page.Versions) != len(want) {
		t.Fatalf("versions %v", page.Versions)
	}
	for i, v := range want {
		if page.Versions[i] != v || full.Versions[i] != v {
			t.Errorf("versions %v / %v, want %v", page.Versions, full.Versions, want)
			break
		}
	}
	if !page.Files[2].Yanked || page.Files[2].YankReason != "broken" {
		t.Errorf("yank not read: %+v", page.Files[2])
	}
}

// TestProjectPageNUL: the page's rows come with their text fields joined by NULs; a row
// whose version holds one (the store takes what it is given; the index never writes one)
// fails the read with an error naming the project, never shifts the fields.
func TestProjectPageNUL(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	addRows(t, s, "fill", &metastore.File{Filename: "nul-1.0.tar.gz", Project: "nul", ProjectName: "nul",
		Version: "1.0\x00" + strings.Repeat("0", 64), Kind: "sdist", SHA256: strings.Repeat("a", 64), Size: 1, UploadTime: time.Now()})
	page, err := s.ProjectPage(ctx, mainDist(t, s), "nul")
	if err == nil || !strings.Contains(err.Error(), `"nul"`) || !strings.Contains(err.Error(), "NUL") {
		t.Fatalf("page of a row with a NUL: %+v, %v", page, err)
	}
}

// TestImportMatchLongestPrefix: the longest dotted prefix some file records wins, with
// every project recording it, in one version's lookup.
func TestImportMatchLongestPrefix(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	var files []*metastore.File
	for i, p := range []struct {
		name    string
		imports []string
	}{{"walt-client", []string{"walt", "walt.client"}}, {"walt-server", []string{"walt", "walt.server"}}, {"walt-common", []string{"walt"}}, {"walt-client-ext", []string{"walt.client"}}} {
		files = append(files, &metastore.File{Filename: p.name + "-1.0.tar.gz", Project: p.name, ProjectName: p.name,
			Version: "1.0", Kind: "sdist", SHA256: fmt.Sprintf("%064x", i), Size: 1, UploadTime: time.Now(), ImportNames: p.imports})
	}
	addRows(t, s, "fill", files...)
	d := mainDist(t, s)
	for module, want := range map[string]string{
		"walt.client.cli": "walt.client walt-client walt-client-ext",
		"walt.client":     "walt.client walt-client walt-client-ext",
		"walt.other":      "walt walt-client walt-common walt-server",
		"walt":            "walt walt-client walt-common walt-server",
		"wal":             "",
		"walt..client":    "walt walt-client walt-common walt-server",
	} {
		match, projects, err := s.ImportMatch(ctx, d, module)
		if got := strings.TrimSpace(match + " " + strings.Join(projects, " ")); err != nil || got != want {
			t.Errorf("ImportMatch(%s) = %q, %v; want %q", module, got, err, want)
		}
	}
}
