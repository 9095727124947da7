package index_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
)

func BenchmarkUpload(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	var size int64
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		name, data := synthWheel("bench-pkg", fmt.Sprintf("1.0.%d", i))
		size += int64(len(data))
		b.StartTimer()
		if _, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size / int64(b.N))
}

// fill adds files straight through the metadata store (no blobs: the reads measured
// never open them): projects × perProject files in one version.
func fill(b testing.TB, s *index.Service, projects, perProject int) {
	files := make([]*metastore.File, 0, projects*perProject)
	for p := range projects {
		name := fmt.Sprintf("project-%05d", p)
		for v := range perProject {
			ver := fmt.Sprintf("%d.%d.%d", v/100, (v/10)%10, v%10)
			files = append(files, &metastore.File{
				Filename: fmt.Sprintf("project_%05d-%s-py3-none-any.whl", p, ver), Project: name, ProjectName: name,
				Version: ver, Kind: "bdist_wheel", SHA256: fmt.Sprintf("%064x", p*perProject+v), Size: 1000,
				MetadataSHA256: fmt.Sprintf("%064x", 1<<40+p*perProject+v), RequiresPython: ">=3.8", Summary: "benchmark", UploadTime: time.Now(),
				ImportNames: []string{fmt.Sprintf("project_%05d", p)},
			})
		}
	}
	addRows(b, s, "fill", files...)
}

func BenchmarkProject500Files(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	fill(b, s, 1, 500)
	d := mainDist(b, s)
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.Project(ctx, d, "project-00000")
		if err != nil || len(p.Files) != 500 || len(p.Versions) != 500 {
			b.Fatalf("%v %v", p, err)
		}
	}
}

func BenchmarkProjects10000(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	fill(b, s, 10000, 1)
	d := mainDist(b, s)
	b.ReportAllocs()
	for b.Loop() {
		ps, _, err := s.Projects(ctx, d)
		if err != nil || len(ps) != 10000 {
			b.Fatalf("%d %v", len(ps), err)
		}
	}
}

func BenchmarkImportCandidates(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	fill(b, s, 10000, 1)
	d := mainDist(b, s)
	for b.Loop() {
		got, err := s.ImportCandidates(ctx, d, "project_05000.sub")
		if err != nil || len(got) != 1 {
			b.Fatalf("%v %v", got, err)
		}
	}
}

// BenchmarkUploadInto2000FileProject measures an upload whose project already has 2,000
// files: the one-file-per-release-and-tags check reads them all.
func BenchmarkUploadInto2000FileProject(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	fill(b, s, 1, 2000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		name, data := synthWheel("project-00000", fmt.Sprintf("100.0.%d", i))
		b.StartTimer()
		if _, _, err := s.Upload(ctx, index.Upload{Repository: "main", Filename: name, Content: bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindOrphans walks 2,000 blobs, half of them referenced.
func BenchmarkFindOrphans(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	for i := range 1000 {
		name, data := synthWheel("orphan-bench", fmt.Sprintf("1.%d", i))
		if i%2 == 0 {
			upload(b, s, name, data) // the wheel and its METADATA: two referenced blobs
		} else if _, _, err := s.Blobs().Put(ctx, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		rep, err := s.FindOrphans(ctx, time.Time{})
		if err != nil || rep.Count != 500 {
			b.Fatalf("%+v %v", rep, err)
		}
	}
}
