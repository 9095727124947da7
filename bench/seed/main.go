// Command seed fills a pydepot data directory with synthetic but valid wheels, straight
// through the index service (no HTTP), for the benchmarks: N small projects, and one
// project with many files.
//
//	go run ./bench/seed -data DIR -projects 10000 -big 500
//
// With -rows the files are recorded straight through the metadata store in one
// repository version, without bytes (presence remote, as a sync with policy on_demand
// records them): 200,000 projects take seconds instead of an upload each, for the serving
// benchmarks of a full-index mirror.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
)

func main() {
	data := flag.String("data", "", "pydepot data directory")
	projects := flag.Int("projects", 10000, "number of one-file projects")
	perProject := flag.Int("files", 1, "files per small project")
	big := flag.Int("big", 500, "files of the project 'bigproject'")
	rows := flag.Bool("rows", false, "record rows only (no bytes, one version) through the metadata store")
	flag.Parse()
	if *data == "" {
		fmt.Fprintln(os.Stderr, "seed: -data is required")
		os.Exit(1)
	}
	run := run
	if *rows {
		run = runRows
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

// runRows records the files as rows of one new version of the default repository.
func runRows(ctx context.Context, data string, projects, perProject, big int) error {
	svc, closeFn, err := backends.OpenDirStores(ctx, data, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer closeFn()
	if err := svc.EnsureDefaults(ctx); err != nil {
		return err
	}
	start := time.Now()
	now := time.Now()
	n := 0
	err = svc.Store().InTx(ctx, func(tx metastore.Tx) error {
		r, err := tx.Repository(ctx, index.DefaultName)
		if err != nil {
			return err
		}
		v, err := tx.BeginVersion(ctx, r.ID, "seed -rows", now)
		if err != nil {
			return err
		}
		add := func(name, version string) error {
			mod := strings.ReplaceAll(name, "-", "_")
			sha := sha256.Sum256([]byte(name + " " + version))
			meta := sha256.Sum256([]byte(name + " " + version + " metadata"))
			n++
			_, err := tx.AddFile(ctx, &metastore.File{
				RepositoryID: r.ID, Filename: fmt.Sprintf("%s-%s-py3-none-any.whl", mod, version), Project: name, ProjectName: name,
				Version: version, Kind: "bdist_wheel", SHA256: hex.EncodeToString(sha[:]), Size: 1000,
				MetadataSHA256: hex.EncodeToString(meta[:]), RequiresPython: ">=3.8", Summary: "benchmark project", UploadTime: now,
				Origin: metastore.OriginSync, OriginRemote: "seed", UpstreamURL: "http://127.0.0.1:1/files/" + mod, Presence: metastore.PresenceRemote,
			}, v)
			return err
		}
		for i := 0; i < big; i++ {
			if err := add("bigproject", fmt.Sprintf("1.%d.%d", i/10, i%10)); err != nil {
				return err
			}
		}
		for p := 0; p < projects; p++ {
			for f := 0; f < perProject; f++ {
				if err := add(fmt.Sprintf("project-%06d", p), fmt.Sprintf("1.0.%d", f)); err != nil {
					return err
				}
			}
		}
		return tx.FinishVersion(ctx, r.ID, v, now)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seed: %d rows in %s\n", n, time.Since(start).Round(time.Millisecond))
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
