package e2e

import (
	"os"
	"testing"

	"github.com/pydepot/pydepot/internal/testcache"
)

// TestMain keeps the tests out of the real ~/.cache (see internal/testcache), then stops
// what tests of this process share (the upstreams, see atExit) and removes their folder (the
// binary, the corpus).
func TestMain(m *testing.M) {
	code := testcache.Main(m)
	runAtExit()
	os.RemoveAll(shared)
	os.Exit(code)
}
