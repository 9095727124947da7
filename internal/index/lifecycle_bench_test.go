package index_test

import (
	"context"
	"testing"
)

// BenchmarkChangedSince10000: bandersnatch's changelog_since_serial on a repository of
// 10,000 projects of which one changed; compare BenchmarkProjects10000, what the
// changelog cost when it filtered the project list.
func BenchmarkChangedSince10000(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	fill(b, s, 10000, 1)
	d := mainDist(b, s)
	_, serial, err := s.Projects(ctx, d)
	if err != nil {
		b.Fatal(err)
	}
	name, data := synthWheel("changed", "1.0")
	upload(b, s, name, data)
	b.ReportAllocs()
	for b.Loop() {
		cs, err := s.ChangedSince(ctx, d, serial)
		if err != nil || len(cs) != 1 {
			b.Fatalf("%v %v", cs, err)
		}
	}
}

// BenchmarkDiff10000: repo diff of the one-file version made on top of 10,000 projects.
func BenchmarkDiff10000(b *testing.B) {
	ctx := context.Background()
	s := newService(b)
	fill(b, s, 10000, 1)
	name, data := synthWheel("changed", "1.0")
	upload(b, s, name, data)
	b.ReportAllocs()
	for b.Loop() {
		d, err := s.Diff(ctx, "main", 1, 2)
		if err != nil || len(d.Added) != 1 {
			b.Fatalf("%+v %v", d, err)
		}
	}
}
