package osv_test

import (
	"context"
	"fmt"
	"testing"
)

// benchDump is n records over 50 projects, each with two ranges and 200 listed versions:
// the shape of a real PyPI record, a little heavier.
func benchDump(n int) map[string]any {
	d := map[string]any{}
	for i := range n {
		id := fmt.Sprintf("PYSEC-2024-%d", i)
		vs := make([]string, 200)
		for j := range vs {
			vs[j] = fmt.Sprintf("0.%d.%d", j/10, j%10)
		}
		d[id] = rec(id, fmt.Sprintf("proj%d", i%50), [][]map[string]string{
			{ev("introduced", "0"), ev("fixed", fmt.Sprintf("1.%d", i%7))},
			{ev("introduced", "2.0"), ev("last_affected", fmt.Sprintf("2.%d", i%5))},
		}, vs...)
	}
	return d
}

// BenchmarkImport: records imported per second from a zip into a fresh SQLite store.
func BenchmarkImport(b *testing.B) {
	const n = 5000
	src := writeZip(b, benchDump(n))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		svc, _ := newService(b)
		b.StartTimer()
		if _, err := svc.Import(context.Background(), src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkMatch: one JSON API lookup for a project with 100 records.
func BenchmarkMatch(b *testing.B) {
	svc, _ := newService(b)
	if _, err := svc.Import(context.Background(), writeZip(b, benchDump(5000))); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		vs, err := svc.Match(context.Background(), "proj7", "2.1")
		if err != nil || len(vs) == 0 {
			b.Fatal(len(vs), err)
		}
	}
}
