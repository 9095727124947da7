package sandbox_test

import (
	"context"
	"testing"

	"github.com/pydepot/pydepot/internal/sandbox"
)

// BenchmarkRunTrue is the fixed cost of one sandbox: namespaces, mounts, cgroups, the
// wait for the namespace's end.
func BenchmarkRunTrue(b *testing.B) {
	if err := sandbox.Available(context.Background()); err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		res, err := sandbox.Run(context.Background(), sandbox.Spec{Args: []string{"true"}, Env: []string{"PATH=/usr/bin:/bin"}})
		if err != nil || res.ExitCode != 0 {
			b.Fatal(res, err)
		}
	}
}
