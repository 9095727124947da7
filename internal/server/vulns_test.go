package server

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/osv"
)

// TestPyPIJSONVulnerabilities: the JSON API fills vulnerabilities from the local OSV
// database, for the latest version on the project URL and for the version asked on the
// release URL, in PyPI's shape.
func TestPyPIJSONVulnerabilities(t *testing.T) {
	ctx := t.Context()
	data := t.TempDir()
	svc, closeFn, err := backends.OpenDir(ctx, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	recs := t.TempDir()
	for name, body := range map[string]string{
		// 1.0 only (fixed in 1.1); a prerelease fix of 2.x that 2.0 does not have.
		"PYSEC-1": `{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-1"],"summary":"old bug","details":"more",
			"affected":[{"package":{"ecosystem":"PyPI","name":"demo_pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1"}]}]}]}`,
		"GHSA-2": `{"id":"GHSA-2","modified":"2024-01-01T00:00:00Z","withdrawn":"2024-03-04T05:06:07Z",
			"affected":[{"package":{"ecosystem":"PyPI","name":"Demo-Pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.5"},{"fixed":"2.1rc1"}]}]}]}`,
	} {
		if err := os.WriteFile(filepath.Join(recs, name+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vulns := osv.New(svc.Store(), osv.Limits{})
	if _, err := vulns.Import(ctx, recs); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, Config{Vulns: vulns}, svc, data, t.TempDir())
	e.mustUpload(wheelName("Demo_Pkg", "1.0"), makeWheel(t, "Demo_Pkg", "1.0", wheelOpts{}))
	e.mustUpload(wheelName("Demo_Pkg", "2.0"), makeWheel(t, "Demo_Pkg", "2.0", wheelOpts{}))
	e.mustUpload(wheelName("other", "0.1"), makeWheel(t, "other", "0.1", wheelOpts{}))

	type vuln struct {
		ID        string   `json:"id"`
		Aliases   []string `json:"aliases"`
		Link      string   `json:"link"`
		Source    string   `json:"source"`
		Summary   *string  `json:"summary"`
		Details   string   `json:"details"`
		FixedIn   []string `json:"fixed_in"`
		Withdrawn *string  `json:"withdrawn"`
	}
	get := func(path string) []vuln {
		t.Helper()
		resp := e.request(http.MethodGet, path, nil)
		body := readBody(t, resp)
		var out struct {
			Vulnerabilities []vuln `json:"vulnerabilities"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &out) != nil || out.Vulnerabilities == nil {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		return out.Vulnerabilities
	}
	v := get("/pypi/demo-pkg/1.0/json")
	if len(v) != 1 || v[0].ID != "PYSEC-1" || v[0].Link != "https://osv.dev/vulnerability/PYSEC-1" || v[0].Source != "osv" ||
		v[0].Summary == nil || *v[0].Summary != "old bug" || v[0].Details != "more" || !slices.Equal(v[0].FixedIn, []string{"1.1"}) ||
		!slices.Equal(v[0].Aliases, []string{"CVE-1"}) || v[0].Withdrawn != nil {
		t.Errorf("1.0: %+v", v)
	}
	// The project URL speaks of the latest version, 2.0: the withdrawn GHSA-2, marked.
	for _, path := range []string{"/pypi/demo-pkg/json", "/pypi/demo-pkg/2.0/json"} {
		v = get(path)
		if len(v) != 1 || v[0].ID != "GHSA-2" || v[0].Withdrawn == nil || *v[0].Withdrawn != "2024-03-04T05:06:07Z" ||
			v[0].Summary != nil || v[0].Aliases == nil || !slices.Equal(v[0].FixedIn, []string{"2.1rc1"}) {
			t.Errorf("%s: %+v", path, v)
		}
	}
	if v = get("/pypi/other/json"); len(v) != 0 {
		t.Errorf("other: %+v", v)
	}
}
