package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore/sqlite"
)

// Issue 9's serving goals, on the real stack (SQLite, the HTTP server, a real client):
// a repository of 200,000 projects (a full-index mirror) plus one project of 5,000 files,
// each request the first after a new version (an upload to another project). Run with
//
//	go test -run '^$' -bench 'FullIndex|ProjectPage5000' -benchtime 5x ./internal/server/
//
// BenchmarkFullIndexFirstByte reports first-byte-ms (goal < 100) and total-ms;
// BenchmarkProjectPage5000 reports first-render-ms (goal < 50).

// bulkFill records projects one-file projects and a project "bigproject" of big files in
// version 1 of the repository main of the data folder, with set-based SQL (the rows that
// Apply would write for a sync with policy on_demand, in seconds rather than minutes).
// It knows the schema: a benchmark's shortcut, never a way to write.
func bulkFill(b *testing.B, data string, projects, big int) {
	ctx := context.Background()
	db, err := sqlite.OpenDB(ctx, filepath.Join(data, "pydepot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UnixMicro()
	var repo int64
	if err := db.QueryRowContext(ctx, `SELECT id FROM repositories WHERE name = 'main'`).Scan(&repo); err != nil {
		b.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
			INSERT INTO projects (name) SELECT printf('project-%06d', i) FROM n`, []any{projects}},
		{`INSERT INTO projects (name) VALUES ('bigproject')`, nil},
		{`INSERT INTO files (repository_id, project_id, filename, project_name, version, kind, sha256, size,
			metadata_sha256, requires_python, summary, upload_time, origin, presence)
			SELECT ?, p.id, replace(p.name, '-', '_') || '-1.0-py3-none-any.whl', p.name, '1.0', 'bdist_wheel',
			printf('%064x', p.id), 1000, printf('%064x', p.id + 1000000000), '>=3.8', 'benchmark project', ?, 'sync', 'remote'
			FROM projects p WHERE p.name LIKE 'project-%'`, []any{repo, now}},
		{`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
			INSERT INTO files (repository_id, project_id, filename, project_name, version, kind, sha256, size,
			metadata_sha256, requires_python, summary, upload_time, origin, presence)
			SELECT ?, p.id, 'bigproject-' || printf('1.%d.%d', i / 10, i % 10) || '-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
			'bigproject', printf('1.%d.%d', i / 10, i % 10), 'bdist_wheel', printf('%064x', i + 2000000000), 100000 + i,
			printf('%064x', i + 3000000000), '>=3.9', 'big', ? + i, 'sync', 'remote'
			FROM n, projects p WHERE p.name = 'bigproject'`, []any{big, repo, now}},
		{`INSERT INTO repository_content (repository_id, project_id, file_id, yanked, yank_reason, version_added)
			SELECT ?, project_id, id, id % 50 = 0, CASE WHEN id % 50 = 0 THEN 'broken' ELSE '' END, 1 FROM files WHERE repository_id = ?`, []any{repo, repo}},
		{`INSERT INTO project_attributes (repository_id, project_id, display_name, version_added)
			SELECT ?, id, name, 1 FROM projects`, []any{repo}},
		{`INSERT INTO serials (repository_id, version, project_id, created_at) SELECT ?, 1, id, ? FROM projects ORDER BY id`, []any{repo, now}},
		{`INSERT INTO repository_versions (repository_id, number, created_at, message, files)
			SELECT ?, 1, ?, 'bulk fill', COUNT(*) FROM files WHERE repository_id = ?`, []any{repo, now, repo}},
		{`UPDATE repositories SET latest = 1 WHERE id = ?`, []any{repo}},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
			b.Fatalf("%s: %v", q.sql, err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// fullIndexEnv is a server over a bulk-filled data folder, and an upload that makes a
// new version.
type fullIndexEnv struct {
	srv    *httptest.Server
	client *http.Client
	bump   func()
}

func newFullIndexEnv(b *testing.B, projects, big int) *fullIndexEnv {
	ctx := context.Background()
	data := b.TempDir()
	svc, closeFn, err := backends.OpenDirStores(ctx, data, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { closeFn() })
	if err := svc.EnsureDefaults(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	bulkFill(b, data, projects, big)
	b.Logf("filled %d projects and %d files in %s", projects, big, time.Since(start).Round(time.Millisecond))
	srv := httptest.NewServer(New(svc, Config{StateTTL: -1}, nil))
	b.Cleanup(srv.Close)
	n := 0
	return &fullIndexEnv{
		srv:    srv,
		client: &http.Client{Transport: &http.Transport{DisableCompression: true}},
		bump: func() {
			n++
			name, version := "fresh-pkg", fmt.Sprintf("1.0.%d", n)
			if _, _, err := svc.Upload(ctx, index.Upload{Repository: "main", Filename: wheelName(name, version), Content: bytes.NewReader(makeWheel(b, name, version, wheelOpts{}))}); err != nil {
				b.Fatal(err)
			}
		},
	}
}

// get sends GET path and returns the time to the first byte of the body and to its end.
func (e *fullIndexEnv) get(b *testing.B, path, accept string) (first, total time.Duration, size int) {
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header.Set("Accept", accept)
	start := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if _, err := br.Peek(1); err != nil || resp.StatusCode != 200 {
		b.Fatalf("%s: %d %v", path, resp.StatusCode, err)
	}
	first = time.Since(start)
	n, err := io.Copy(io.Discard, br)
	if err != nil {
		b.Fatal(err)
	}
	return first, time.Since(start), int(n)
}

func BenchmarkFullIndexFirstByte(b *testing.B) {
	e := newFullIndexEnv(b, 200000, 0)
	for _, accept := range []string{"text/html", mediaJSONv1} {
		b.Run(map[string]string{"text/html": "html", mediaJSONv1: "json"}[accept], func(b *testing.B) {
			var first, total time.Duration
			var size int
			for b.Loop() {
				b.StopTimer()
				e.bump()
				b.StartTimer()
				f, t, n := e.get(b, "/simple/", accept)
				first, total, size = first+f, total+t, n
			}
			b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "first-byte-ms")
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "total-ms")
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

func BenchmarkProjectPage5000(b *testing.B) {
	e := newFullIndexEnv(b, 1000, 5000)
	for _, accept := range []string{"text/html", mediaJSONv1} {
		b.Run(map[string]string{"text/html": "html", mediaJSONv1: "json"}[accept], func(b *testing.B) {
			var total time.Duration
			var size int
			for b.Loop() {
				b.StopTimer()
				e.bump()
				b.StartTimer()
				_, t, n := e.get(b, "/simple/bigproject/", accept)
				total, size = total+t, n
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "first-render-ms")
			b.ReportMetric(float64(size), "bytes")
		})
	}
}
