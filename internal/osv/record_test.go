package osv_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/osv"
	"github.com/pydepot/pydepot/internal/versions"
)

func TestRanges(t *testing.T) {
	type check struct {
		version string
		want    bool
	}
	cases := []struct {
		name     string
		ranges   [][]map[string]string
		versions []string
		checks   []check
	}{
		{"introduced 0, fixed", [][]map[string]string{{ev("introduced", "0"), ev("fixed", "1.2")}},
			nil, []check{{"0.dev0", true}, {"0.1", true}, {"1.1.9", true}, {"1.2rc1", true}, {"1.2.dev3", true}, {"1.2", false}, {"1.2.0", false}, {"1.2.post1", false}, {"2", false}}},
		{"introduced, fixed", [][]map[string]string{{ev("introduced", "1.0"), ev("fixed", "1.5")}},
			nil, []check{{"0.9", false}, {"1.0rc1", false}, {"1.0", true}, {"1.0.post1", true}, {"1.4.99", true}, {"1.5a1", true}, {"1.5", false}}},
		// Text order would put 1.10 before 1.9: PEP 440 order is what counts.
		{"events out of order", [][]map[string]string{{ev("fixed", "1.10"), ev("introduced", "1.9")}},
			nil, []check{{"1.8", false}, {"1.9", true}, {"1.9.5", true}, {"1.10", false}, {"1.11", false}}},
		{"last_affected", [][]map[string]string{{ev("introduced", "2.0"), ev("last_affected", "2.3")}},
			nil, []check{{"1.9", false}, {"2.0", true}, {"2.3", true}, {"2.3.0", true}, {"2.3.post1", false}, {"2.3.1", false}, {"2.4", false}}},
		{"multiple ranges", [][]map[string]string{
			{ev("introduced", "1.0"), ev("fixed", "1.2.3")},
			{ev("introduced", "2.0"), ev("fixed", "2.0.5")},
		}, nil, []check{{"0.5", false}, {"1.1", true}, {"1.2.3", false}, {"1.9", false}, {"2.0b1", false}, {"2.0", true}, {"2.0.4", true}, {"2.0.5", false}}},
		{"several introduced in one range", [][]map[string]string{{ev("introduced", "0"), ev("fixed", "1.0"), ev("introduced", "3.0"), ev("fixed", "3.1")}},
			nil, []check{{"0.9", true}, {"1.0", false}, {"2", false}, {"3.0.1", true}, {"3.1", false}}},
		{"limit", [][]map[string]string{{ev("introduced", "1.0"), ev("limit", "2.0")}},
			nil, []check{{"0.1", false}, {"1.0", true}, {"1.99", true}, {"2.0", false}, {"5", false}}},
		{"introduced only", [][]map[string]string{{ev("introduced", "4.0")}},
			nil, []check{{"3.9", false}, {"4.0", true}, {"100", true}}},
		{"prerelease bounds", [][]map[string]string{{ev("introduced", "3.0.0a1"), ev("fixed", "3.0.0rc2")}},
			nil, []check{{"2.9", false}, {"3.0.0.dev1", false}, {"3.0a1", true}, {"3.0b1", true}, {"3.0rc1", true}, {"3.0rc2", false}, {"3.0", false}}},
		{"versions list", nil, []string{"1.0.0", "1.3", "not a version!"},
			[]check{{"1.0", true}, {"1.0.0", true}, {"1.0.0.0", true}, {"1.1", false}, {"1.3", true}, {"1.3.post0", false}}},
		{"empty range", [][]map[string]string{{ev("introduced", "1.0"), ev("fixed", "1.0")}},
			nil, []check{{"1.0", false}, {"0.9", false}, {"1.1", false}}},
		{"local versions", [][]map[string]string{{ev("introduced", "0"), ev("fixed", "1.0")}},
			nil, []check{{"0.9+ubuntu1", true}, {"1.0+local", false}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := osv.Parse(encode(t, rec("PYSEC-1", "Foo_Bar", tc.ranges, tc.versions...)))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.checks {
				if got := r.Affects("foo-bar", versions.MustParse(c.version)); got != c.want {
					t.Errorf("Affects(foo-bar, %s) = %v, want %v", c.version, got, c.want)
				}
				if r.Affects("foo", versions.MustParse(c.version)) {
					t.Errorf("Affects(foo, %s): the record is about foo-bar", c.version)
				}
			}
		})
	}
}

func TestParseKeepsPyPIOnly(t *testing.T) {
	r := rec("GHSA-aaaa-bbbb-cccc", "Django", [][]map[string]string{{ev("introduced", "0"), ev("fixed", "4.2.1"), ev("fixed", "3.2.19")}})
	aff := r["affected"].([]any)
	r["affected"] = append(aff,
		map[string]any{"package": map[string]string{"ecosystem": "npm", "name": "django"}, "versions": []string{"9.9"}},
		map[string]any{"package": map[string]string{"ecosystem": "PyPI", "name": "django"},
			"ranges": []any{map[string]any{"type": "GIT", "repo": "https://x", "events": []any{map[string]string{"introduced": "abcdef"}}}}})
	got, err := osv.Parse(encode(t, r))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Affected) != 2 || got.Affected[0].Package != "django" || len(got.Affected[1].Ranges) != 0 {
		t.Errorf("affected %+v: want the two PyPI entries, the GIT range dropped", got.Affected)
	}
	if got.Affects("django", versions.MustParse("9.9")) {
		t.Error("the npm entry's versions matched a PyPI version")
	}
	if fixed := got.FixedIn("django"); strings.Join(fixed, " ") != "3.2.19 4.2.1" {
		t.Errorf("FixedIn = %v, want PEP 440 order", fixed)
	}
}

func TestParseInvalid(t *testing.T) {
	good := func() map[string]any {
		return rec("PYSEC-2", "foo", [][]map[string]string{{ev("introduced", "0"), ev("fixed", "1")}})
	}
	with := func(f func(r map[string]any)) []byte {
		r := good()
		f(r)
		return encode(t, r)
	}
	rangeOf := func(evs ...map[string]string) func(map[string]any) {
		return func(r map[string]any) {
			r["affected"].([]any)[0].(map[string]any)["ranges"] = []any{map[string]any{"type": "ECOSYSTEM", "events": evs}}
		}
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not json", []byte("{"), "not an OSV record"},
		{"trailing data", []byte(`{"id":"A-1"} {}`), "data after"},
		{"no id", with(func(r map[string]any) { delete(r, "id") }), "no id"},
		{"bad id", with(func(r map[string]any) { r["id"] = "../etc/passwd" }), "OSV id"},
		{"bad modified", with(func(r map[string]any) { r["modified"] = "yesterday" }), "modified"},
		{"bad version", with(rangeOf(ev("introduced", "0"), ev("fixed", "one.two"))), "not a PEP 440 version"},
		{"unknown event", with(rangeOf(ev("introduced", "0"), ev("broken", "1"))), "unknown event"},
		{"two keys", with(rangeOf(map[string]string{"introduced": "0", "fixed": "1"})), "2 keys"},
		{"no introduced", with(rangeOf(ev("fixed", "1"))), "no introduced"},
		{"bad name", with(func(r map[string]any) {
			r["affected"].([]any)[0].(map[string]any)["package"] = map[string]string{"ecosystem": "PyPI", "name": "no spaces"}
		}), "not a valid project name"},
		{"event not a string", []byte(`{"id":"A-1","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":0}]}]}]}`), "not an OSV record"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := osv.Parse(tc.data)
			if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse: %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
}

func TestSeverity(t *testing.T) {
	cases := []struct {
		name string
		edit func(r map[string]any)
		want checkreport.Severity
	}{
		{"none", func(map[string]any) {}, ""},
		{"database level", func(r map[string]any) { r["database_specific"] = map[string]any{"severity": "MODERATE"} }, checkreport.Medium},
		{"database level not a string", func(r map[string]any) { r["database_specific"] = map[string]any{"severity": 7} }, ""},
		// NVD's scores of these vectors: 9.8, 6.1, 5.5, 3.1.
		{"cvss critical", cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), checkreport.High},
		{"cvss scope changed", cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), checkreport.Medium},
		{"cvss local", cvss("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"), checkreport.Medium},
		{"cvss low", cvss("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"), checkreport.Low},
		{"cvss broken", cvss("CVSS:3.1/AV:X"), ""},
		{"database level wins", func(r map[string]any) {
			cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")(r)
			r["database_specific"] = map[string]any{"severity": "LOW"}
		}, checkreport.Low},
		{"malicious package", func(r map[string]any) { r["id"] = "MAL-2024-1234" }, checkreport.High},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rec("GHSA-1", "foo", [][]map[string]string{{ev("introduced", "0")}})
			tc.edit(r)
			got, err := osv.Parse(encode(t, r))
			if err != nil {
				t.Fatal(err)
			}
			if got.Severity != tc.want {
				t.Errorf("severity %q, want %q", got.Severity, tc.want)
			}
		})
	}
}

func cvss(vector string) func(map[string]any) {
	return func(r map[string]any) { r["severity"] = []any{map[string]string{"type": "CVSS_V3", "score": vector}} }
}
