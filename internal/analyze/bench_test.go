package analyze

import (
	"context"
	"os"
	"strings"
	"testing"
)

// BenchmarkRun analyzes the files listed in $ANALYZE_BENCH_FILES (one path a line),
// or a sample of pyenv 3.11.7's standard library.
func BenchmarkRun(b *testing.B) {
	var files []string
	if list := os.Getenv("ANALYZE_BENCH_FILES"); list != "" {
		data, err := os.ReadFile(list)
		if err != nil {
			b.Fatal(err)
		}
		files = strings.Fields(string(data))
	} else {
		files = []string{"/root/.pyenv/versions/3.11.7/lib/python3.11/json", "/root/.pyenv/versions/3.11.7/lib/python3.11/asyncio",
			"/root/.pyenv/versions/3.11.7/lib/python3.11/email"}
	}
	for b.Loop() {
		if _, err := Run(context.Background(), Options{Sources: files, Python: "3.11"}); err != nil {
			b.Fatal(err)
		}
	}
}
