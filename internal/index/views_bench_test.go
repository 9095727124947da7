package index_test

import (
	"context"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

// mergedOverMain is a merged view of an empty hosted repository, then main (filled by
// the caller): what a merged view adds to the plain reads of the same content.
func mergedOverMain(b *testing.B, s *index.Service) *index.Distribution {
	b.Helper()
	ctx := context.Background()
	if _, err := s.CreateRepository(ctx, "hosted", ""); err != nil {
		b.Fatal(err)
	}
	d, err := s.CreateDistribution(ctx, index.Distribution{BasePath: "merged", Sources: []index.Source{{Repository: "hosted"}, {Repository: "main"}}})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func BenchmarkMergedProject500Files(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	fill(b, s, 1, 500)
	d := mergedOverMain(b, s)
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.Project(ctx, d, "project-00000")
		if err != nil || len(p.Files) != 500 {
			b.Fatalf("%v %v", p, err)
		}
	}
}

func BenchmarkMergedProjects10000(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	fill(b, s, 10000, 1)
	d := mergedOverMain(b, s)
	b.ReportAllocs()
	for b.Loop() {
		ps, _, err := s.Projects(ctx, d)
		if err != nil || len(ps) != 10000 {
			b.Fatalf("%d %v", len(ps), err)
		}
	}
}
