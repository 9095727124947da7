package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// benchAPI is an in-memory index.API with many projects, for benchmarks of the page path.
// Methods the benchmarks do not reach are left to the nil embedded interface.
type benchAPI struct {
	index.API
	projects []index.ProjectSummary
	big      *index.Project
}

func newBenchAPI(nProjects, nFiles int) *benchAPI {
	a := &benchAPI{}
	for i := range nProjects {
		a.projects = append(a.projects, index.ProjectSummary{Name: fmt.Sprintf("project-%05d", i), DisplayName: fmt.Sprintf("Project_%05d", i), Serial: int64(i + 1)})
	}
	p := &index.Project{Name: "big", DisplayName: "Big", Serial: 42}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range nFiles {
		v := fmt.Sprintf("1.%d.%d", i/10, i%10)
		p.Versions = append(p.Versions, v)
		p.Files = append(p.Files, index.File{
			Filename: fmt.Sprintf("big-%s-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", v), Project: "big", Version: v,
			SHA256: strings.Repeat(fmt.Sprintf("%02x", i%256), 32), MetadataSHA256: strings.Repeat("ab", 32),
			Size: int64(100000 + i), UploadTime: t0.Add(time.Duration(i) * time.Hour), RequiresPython: ">=3.9",
			Yanked: i%50 == 0, YankReason: "broken",
		})
	}
	a.big = p
	return a
}

func (a *benchAPI) Distributions(context.Context) ([]index.Distribution, error) {
	return []index.Distribution{{BasePath: "main", Repository: "main", Public: true}}, nil
}

func (a *benchAPI) Repositories(context.Context) ([]index.Repository, error) {
	return []index.Repository{{Name: "main", Latest: 7}}, nil
}

func (a *benchAPI) Projects(context.Context, *index.Distribution) ([]index.ProjectSummary, int64, error) {
	return a.projects, int64(len(a.projects)), nil
}

func (a *benchAPI) EachProject(_ context.Context, _ *index.Distribution, fn func(index.ProjectSummary) error) error {
	for _, p := range a.projects {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

func (a *benchAPI) LastSerial(context.Context, *index.Distribution) (int64, error) {
	return int64(len(a.projects)), nil
}

func (a *benchAPI) ProjectPage(ctx context.Context, d *index.Distribution, name string) (*index.Project, error) {
	return a.Project(ctx, d, name)
}

func (a *benchAPI) Project(_ context.Context, _ *index.Distribution, name string) (*index.Project, error) {
	if name == "big" {
		return a.big, nil
	}
	return nil, fmt.Errorf("project %s: %w", name, errs.ErrNotFound)
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

func benchPage(b *testing.B, path, accept string) {
	h := New(newBenchAPI(10000, 500), Config{StateTTL: time.Minute}, nil)
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
	}
	b.SetBytes(int64(rec.Body.Len()))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
	})
}

func BenchmarkSimpleIndexHTML10k(b *testing.B)   { benchPage(b, "/simple/", "") }
func BenchmarkSimpleIndexJSON10k(b *testing.B)   { benchPage(b, "/simple/", mediaJSONv1) }
func BenchmarkSimpleProjectHTML500(b *testing.B) { benchPage(b, "/simple/big/", "") }
func BenchmarkSimpleProjectJSON500(b *testing.B) { benchPage(b, "/simple/big/", mediaJSONv1) }

// BenchmarkRender measures the cold path: rendering a page after a change.
func BenchmarkRender(b *testing.B) {
	a := newBenchAPI(10000, 500)
	b.Run("index-html-10k", func(b *testing.B) {
		for b.Loop() {
			renderIndexHTML(a.projects)
		}
	})
	b.Run("index-json-10k", func(b *testing.B) {
		for b.Loop() {
			_, _ = renderIndexJSON(a.projects, 1)
		}
	})
	b.Run("project-html-500", func(b *testing.B) {
		for b.Loop() {
			renderProjectHTML(a.big)
		}
	})
	b.Run("project-json-500", func(b *testing.B) {
		for b.Loop() {
			_, _ = renderProjectJSON(a.big)
		}
	})
}
