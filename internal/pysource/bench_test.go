package pysource

import (
	"os"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

func BenchmarkParseImports(b *testing.B) {
	var srcs [][]byte
	var size int64
	for _, p := range sampleFiles(b, 200, testdist.PythonInfo(b, "3.11").Stdlib) {
		src, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, src)
		size += int64(len(src))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, src := range srcs {
			m, _ := Parse(src)
			Imports(m)
		}
	}
}

func BenchmarkPython2Hints(b *testing.B) {
	var srcs [][]byte
	var size int64
	for _, p := range sampleFiles(b, 200, testdist.PythonInfo(b, "3.11").Stdlib) {
		src, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, src)
		size += int64(len(src))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, src := range srcs {
			Python2Hints(src)
		}
	}
}
