package envrun_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/envrun"
)

// BenchmarkPrepareUnpacked measures what run adds before exec once a tarball is unpacked:
// locating it, the remembered digest, the marker check and activation.
func BenchmarkPrepareUnpacked(b *testing.B) {
	work := b.TempDir()
	tarball := fakeEnvB(b, work)
	o := envrun.Options{Env: tarball, CacheDir: filepath.Join(work, "c"), Environ: []string{"PATH=/bin"}}
	if _, err := envrun.Prepare(context.Background(), o); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := envrun.Prepare(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunTrue is a whole run of /bin/true on an unpacked environment, in process.
func BenchmarkRunTrue(b *testing.B) {
	work := b.TempDir()
	tarball := fakeEnvB(b, work)
	o := envrun.Options{Env: tarball, CacheDir: filepath.Join(work, "c"), Environ: []string{"PATH=/bin"}, Argv: []string{"/bin/true"}}
	for b.Loop() {
		if st, err := envrun.Run(context.Background(), o); err != nil || st != 0 {
			b.Fatal(st, err)
		}
	}
}
