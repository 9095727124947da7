package osv_test

import (
	"encoding/json"
	"testing"

	"github.com/pydepot/pydepot/internal/osv"
	"github.com/pydepot/pydepot/internal/versions"
)

// FuzzParseRecord parses any bytes as a record and evaluates it against a version. A
// record that parses survives its stored form (JSON) unchanged in what it matches, every
// listed version of an entry is affected, and an invalid record is an error, never a
// panic.
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"}]}],"versions":["1.0","1.1.0"]}]}`), "1.1")
	f.Add([]byte(`{"id":"GHSA-x","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1.10"},{"introduced":"1.9"},{"last_affected":"1.9.5"},{"limit":"2"}]}]}]}`), "1.9.5")
	f.Add([]byte(`{"id":"MAL-1","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI:x","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1!2.0rc1.post3.dev4+abc.5"}]}]}]}`), "1!2.0rc1.post3.dev4+abc.5")
	f.Add([]byte(`{"id":"A","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}`), "0")
	f.Add([]byte(`{"id":"A","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],"affected":[]}`), "1")
	f.Fuzz(func(t *testing.T, data []byte, version string) {
		r, err := osv.Parse(data)
		if err != nil {
			return
		}
		v, err := versions.Parse(version)
		if err != nil {
			return
		}
		stored, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back osv.Record
		if err := json.Unmarshal(stored, &back); err != nil {
			t.Fatal(err)
		}
		for _, p := range r.Projects() {
			if r.Affects(p, v) != back.Affects(p, v) {
				t.Fatalf("%s %s: the stored record matches differently", p, v)
			}
			_ = r.FixedIn(p)
		}
		for _, a := range r.Affected {
			for _, s := range a.ListedVersions() {
				if lv, err := versions.Parse(s); err == nil && lv.Equal(v) && !r.Affects(a.Package, v) {
					t.Fatalf("%s is listed for %s but not affected", v, a.Package)
				}
			}
			for _, rg := range a.Ranges {
				for i := 1; i < len(rg.Events); i++ {
					p, q := rg.Events[i-1], rg.Events[i]
					if p.Version != "0" && q.Version == "0" {
						t.Fatalf("events out of order: %v", rg.Events)
					}
					if p.Version != "0" && q.Version != "0" && versions.MustParse(p.Version).Compare(versions.MustParse(q.Version)) > 0 {
						t.Fatalf("events out of PEP 440 order: %v", rg.Events)
					}
				}
			}
		}
	})
}
