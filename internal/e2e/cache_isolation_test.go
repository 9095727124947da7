package e2e

import (
	"os"
	"testing"

	"github.com/pydepot/pydepot/internal/testcache"
)

// TestMain keeps the tests out of the real ~/.cache (see internal/testcache), then removes
// the folder the tests of this process share (the binary, the corpus).
func TestMain(m *testing.M) {
	code := testcache.Main(m)
	os.RemoveAll(shared)
	os.Exit(code)
}
