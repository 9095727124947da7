package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// BenchmarkRun analyzes the files listed in $ANALYZE_BENCH_FILES (one path a line),
// or a sample of Python 3.11's standard library.
func BenchmarkRun(b *testing.B) {
	var files []string
	if list := os.Getenv("ANALYZE_BENCH_FILES"); list != "" {
		data, err := os.ReadFile(list)
		if err != nil {
			b.Fatal(err)
		}
		files = strings.Fields(string(data))
	} else {
		lib := testdist.PythonInfo(b, "3.11").Stdlib
		files = []string{filepath.Join(lib, "json"), filepath.Join(lib, "asyncio"), filepath.Join(lib, "email")}
	}
	for b.Loop() {
		if _, err := Run(context.Background(), Options{Sources: files, Python: "3.11"}); err != nil {
			b.Fatal(err)
		}
	}
}
