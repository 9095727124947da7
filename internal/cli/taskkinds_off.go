//go:build !pydepot_testkinds

package cli

import "github.com/pydepot/pydepot/internal/tasks"

// registerTestTaskKinds registers nothing: the test kinds exist only in binaries built
// with -tags pydepot_testkinds (see taskkinds_test_build.go).
func registerTestTaskKinds(tasks.Queue) {}
