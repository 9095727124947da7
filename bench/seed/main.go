// Command seed fills a pydepot data directory with synthetic but valid wheels, straight
// through the index service (no HTTP), for the benchmarks: N small projects, and one
// project with many files.
//
//	go run ./bench/seed -data DIR -projects 10000 -big 500
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
)

func main() {
	data := flag.String("data", "", "pydepot data directory")
	projects := flag.Int("projects", 10000, "number of one-file projects")
	perProject := flag.Int("files", 1, "files per small project")
	big := flag.Int("big", 500, "files of the project 'bigproject'")
	flag.Parse()
	if *data == "" {
		fmt.Fprintln(os.Stderr, "seed: -data is required")
		os.Exit(1)
	}
	if err := run(context.Background(), *data, *projects, *perProject, *big); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, data string, projects, perProject, big int) error {
	svc, closeFn, err := backends.OpenDir(ctx, data, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer closeFn()
	if err := svc.EnsureDefaults(ctx); err != nil {
		return err
	}
	start := time.Now()
	var n atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8) // blob writes (with their fsyncs) overlap; the SQLite writer serializes the rows
	upload := func(name, version string) {
		g.Go(func() error {
			whl, filename := wheel(name, version)
			_, _, err := svc.Upload(ctx, index.Upload{Repository: index.DefaultName, Filename: filename, Content: bytes.NewReader(whl)})
			if c := n.Add(1); c%5000 == 0 {
				fmt.Fprintf(os.Stderr, "seed: %d files in %s\n", c, time.Since(start).Round(time.Second))
			}
			return err
		})
	}
	for i := 0; i < big; i++ {
		upload("bigproject", fmt.Sprintf("1.%d.%d", i/10, i%10))
	}
	for p := 0; p < projects; p++ {
		for f := 0; f < perProject; f++ {
			upload(fmt.Sprintf("project-%05d", p), fmt.Sprintf("1.0.%d", f))
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seed: %d files in %s\n", n.Load(), time.Since(start).Round(time.Millisecond))
	return nil
}

// wheel returns a minimal valid pure-Python wheel and its file name.
func wheel(name, version string) ([]byte, string) {
	mod := ""
	for _, r := range name {
		if r == '-' {
			r = '_'
		}
		mod += string(r)
	}
	info := fmt.Sprintf("%s-%s.dist-info", mod, version)
	files := []struct{ name, body string }{
		{mod + "/__init__.py", fmt.Sprintf("VERSION = %q\n", version)},
		{info + "/METADATA", fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: benchmark project\nRequires-Python: >=3.8\n\n", name, version)},
		{info + "/WHEEL", "Wheel-Version: 1.0\nGenerator: seed\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{info + "/top_level.txt", mod + "\n"},
	}
	var buf, record bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, _ := zw.Create(f.name)
		_, _ = w.Write([]byte(f.body))
		sum := sha256.Sum256([]byte(f.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.body))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", info)
	w, _ := zw.Create(info + "/RECORD")
	_, _ = w.Write(record.Bytes())
	_ = zw.Close()
	return buf.Bytes(), fmt.Sprintf("%s-%s-py3-none-any.whl", mod, version)
}
