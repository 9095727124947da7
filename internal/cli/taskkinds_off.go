//go:build !pydepot_testkinds

package cli

import (
	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/tasks"
)

// registerTestTaskKinds registers nothing: the test kinds exist only in binaries built
// with -tags pydepot_testkinds (see taskkinds_test_build.go).
func registerTestTaskKinds(tasks.Queue) {}

// testCheckRunner is r: the test runner exists only in binaries built with
// -tags pydepot_testkinds.
func testCheckRunner(_ Env, r checkreport.Runner) checkreport.Runner { return r }
