package e2e

import (
	"os"
	"testing"

	"github.com/pydepot/pydepot/internal/testcache"
)

// TestMain keeps the tests out of the real ~/.cache (see internal/testcache).
func TestMain(m *testing.M) { os.Exit(testcache.Main(m)) }
