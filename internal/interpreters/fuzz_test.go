package interpreters

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// FuzzRewriteRunPath: arbitrary bytes (seeded with real ELF files) never panic the reader
// or the in-place rewrite, and a rewrite never changes the file size.
func FuzzRewriteRunPath(f *testing.F) {
	seeds := []string{"/bin/true"}
	if in, err := testdist.FindPyenvPython("3.12"); err == nil {
		seeds = append(seeds, in.Path) // a shared build: a small ELF file with a RUNPATH
	}
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "bin")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _ = RunPaths(p)
		_, _ = RewriteRunPath(p, func(old string) (string, bool) { return "$ORIGIN", len(old) >= 7 })
		st, err := os.Stat(p)
		if err != nil || st.Size() != int64(len(data)) {
			t.Fatalf("size changed: %v", err)
		}
	})
}
