package versions

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// referencePython returns a Python whose pip vendors packaging >= 22 (the PEP 440-only
// releases). The test fails, rather than skips, when none is installed.
// installedVersions returns the versions in the names of installed .dist-info and
// .egg-info directories.
func installedVersions(t *testing.T) []string {
	t.Helper()
	dirs := append(testdist.GlobPrefixes("lib/python*/site-packages/*.dist-info"),
		testdist.GlobPrefixes("lib/python*/site-packages/*.egg-info")...)
	for _, pat := range []string{
		"/usr/lib/python3/dist-packages/*.dist-info",
		"/usr/lib/python3/dist-packages/*.egg-info",
	} {
		m, _ := filepath.Glob(pat)
		dirs = append(dirs, m...)
	}
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(d), ".dist-info"), ".egg-info")
		parts := strings.Split(base, "-")
		if len(parts) < 2 {
			continue
		}
		if v := parts[1]; !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	if len(out) < 50 {
		t.Fatalf("found only %d installed versions", len(out))
	}
	return out
}

// syntheticVersions spells versions in every way PEP 440 allows, and some it does not.
func syntheticVersions(n int) []string {
	rng := rand.New(rand.NewPCG(440, 503))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	prefix := []string{"", "", "", "v", "V", " ", "\t"}
	epochs := []string{"", "", "", "1!", "2!", "0!", "01!"}
	releases := []string{"0", "1", "1.0", "1.0.0", "1.1", "1.2", "2", "10", "1.10", "1.9", "0.9.9", "01.002", "1.0.0.0.1", "2024.1.15", "0.0"}
	pres := []string{"", "", "", "a", "a1", "b2", "rc1", "c1", "alpha3", "beta", "pre2", "preview1", "-a1", ".rc.2", "_b_3", "RC4", "a-", ".c", "-pre_0", "b01"}
	posts := []string{"", "", "", ".post1", "-1", "post", ".rev2", "r3", "-post-4", ".post0", "_r_", "-0", "POST2", ".post01"}
	devs := []string{"", "", "", ".dev", ".dev1", "dev2", "-dev3", "_DEV_4", ".dev-", ".dev0"}
	locals := []string{"", "", "", "", "+local", "+abc.1", "+1", "+01", "+abc-2_x", "+1.abc", "+ubuntu1", "+0", "+A.b", "+1.01.001", "+abc.def.1"}
	suffix := []string{"", "", "", "", " ", "\n"}
	bad := []string{"", "+", "..", ".x", "-", "!", "a", "+_", "++", ".*", "$"}
	out := make([]string, 0, n)
	for range n {
		s := pick(prefix) + pick(epochs) + pick(releases) + pick(pres) + pick(posts) + pick(devs) + pick(locals) + pick(suffix)
		if rng.IntN(15) == 0 {
			i := rng.IntN(len(s) + 1)
			s = s[:i] + pick(bad) + s[i:]
		}
		out = append(out, s)
	}
	return out
}

// randomStrings returns short strings over the characters versions are made of, to
// exercise every corner of the hand-written parser against packaging's regular expression.
func randomStrings(n int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	atoms := []string{"0", "1", "2", "01", "9", ".", ".", "-", "_", "+", "!", "v", "a", "b", "c", "rc", "alpha", "beta",
		"pre", "preview", "post", "rev", "r", "dev", "e", "p", "x", " ", "A", "RC", "DEV", "Post", "*"}
	out := make([]string, 0, n)
	for range n {
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteString("1")
		}
		for range 1 + rng.IntN(8) {
			b.WriteString(atoms[rng.IntN(len(atoms))])
		}
		out = append(out, b.String())
	}
	return out
}

type packagingAnswer struct {
	Parsed    []*string      `json:"parsed"`
	Rank      map[string]int `json:"rank"`
	Contains  [][2]string    `json:"contains"`
	Filter    [][]int        `json:"filter"`
	Packaging string         `json:"packaging"`
}

func askPackaging(t *testing.T, req any) packagingAnswer {
	t.Helper()
	var ans packagingAnswer
	testdist.RunPython(t, testdist.PackagingOracle(t), "testdata/packaging_ref.py", req, &ans)
	return ans
}

// specGrid returns specifier sets over the interesting versions of specVersions.
func specGrid() (specs, filters []string) {
	plain := []string{"1.0", "1.0.0", "1", "1.0a1", "1.0.post1", "1.0.dev1", "1.0rc1.dev2", "1!1.0", "2.0", "0.9.9", "1.1", "1.0.post1.dev1", "1.0a1.post1", "2024.1.15", "1.2"}
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		for _, v := range plain {
			specs = append(specs, op+v)
		}
	}
	for _, v := range []string{"1.0+local", "1.0+1", "1.0.0+abc.1", "1.0a1+local"} {
		specs = append(specs, "=="+v, "!="+v)
	}
	for _, v := range []string{"1.*", "1.0.*", "1.0.0.*", "1!1.*", "0.*", "2.*", "1.1.*", "0.9.*"} {
		specs = append(specs, "=="+v, "!="+v)
	}
	for _, v := range []string{"1.0", "1.0.0", "1.1", "0.9.9", "1.0a1", "1.0.post1", "1.0.dev1", "1!1.0", "2.0", "1.2"} {
		specs = append(specs, "~="+v)
	}
	specs = append(specs, "===1.0", "===1.0.0", "===1.0+local", "===1.0a1", "===1.0.POST1")
	filters = append([]string{""}, specs...)
	specs = append(specs, "", ">=1.0,<2.0", ">=1.0a1,<2.0", ">1.0,!=1.1", "~=1.0,!=1.0.post1", "==1.*,>=1.0.dev1",
		">=0.9.9,<=1.0.0,!=1.0a1", "<1.0,>0.9.9", "<2.0a1,>1.0.post1", "<2,>1.0a1")
	return specs, filters
}

func TestAgainstPackaging(t *testing.T) {
	inputs := installedVersions(t)
	nInstalled := len(inputs)
	inputs = append(inputs, packagingSorted...)
	for _, c := range normalizeCases {
		inputs = append(inputs, c.in)
	}
	inputs = append(inputs, invalidVersions...)
	synthetic := syntheticVersions(4000)
	inputs = append(inputs, synthetic...)
	inputs = append(inputs, randomStrings(20000)...)

	// The grid: every distinct valid version of the sorted list and installed set, plus a sample.
	var grid []string
	seen := map[string]bool{}
	add := func(s string) {
		if v, err := Parse(s); err == nil && !seen[v.String()] {
			seen[v.String()] = true
			grid = append(grid, v.String())
		}
	}
	for _, s := range packagingSorted {
		add(s)
	}
	for _, s := range []string{"1.0", "1.0.0", "1.0.post1+local", "1.0+local", "1.0a1+x", "1!1.0+1", "1.1.post1", "1.1.dev1", "2.0a1", "2.0.dev1", "2.0", "2.0.post1", "0.9.9+a", "1.0.1", "0.9", "1.0.0.0.1", "1.0a2"} {
		add(s)
	}
	for _, s := range synthetic {
		if len(grid) >= 400 {
			break
		}
		add(s)
	}
	specs, filters := specGrid()
	ans := askPackaging(t, map[string]any{"versions": inputs, "grid": grid, "specs": specs, "filters": filters})
	t.Logf("packaging %s: %d inputs (%d installed), %d grid versions, %d specifier sets", ans.Packaging, len(inputs), nInstalled, len(grid), len(specs))

	// Parse and String.
	var valid []Version
	for i, s := range inputs {
		v, err := Parse(s)
		want := ans.Parsed[i]
		switch {
		case want == nil && err == nil:
			t.Errorf("Parse(%q) = %q, packaging rejects it", s, v)
		case want != nil && err != nil:
			t.Errorf("Parse(%q): %v, packaging gives %q", s, err, *want)
		case want != nil && v.String() != *want:
			t.Errorf("Parse(%q).String() = %q, packaging gives %q", s, v, *want)
		case want != nil:
			valid = append(valid, v)
		}
	}
	t.Logf("%d inputs are valid versions", len(valid))

	// Ordering: sort, then compare the rank of each equivalence class.
	slices.SortStableFunc(valid, Version.Compare)
	rank := -1
	for i, v := range valid {
		if i == 0 || valid[i-1].Compare(v) != 0 {
			rank++
		}
		if want := ans.Rank[v.String()]; want != rank {
			for j := max(i-5, 0); j <= i; j++ {
				t.Logf("%q rank %d", valid[j], ans.Rank[valid[j].String()])
			}
			t.Fatalf("%q has rank %d, packaging %d (previous %q)", v, rank, want, valid[max(i-1, 0)])
		}
	}

	// Specifier Contains, without and with pre-releases.
	gv := make([]Version, len(grid))
	for i, s := range grid {
		gv[i] = MustParse(s)
	}
	for i, spec := range specs {
		ss, err := ParseSpecifiers(spec)
		if err != nil {
			t.Errorf("ParseSpecifiers(%q): %v", spec, err)
			continue
		}
		for pre := 0; pre < 2; pre++ {
			var got strings.Builder
			for _, v := range gv {
				got.WriteString(map[bool]string{true: "1", false: "0"}[ss.Contains(v, pre == 1)])
			}
			if want := ans.Contains[i][pre]; got.String() != want {
				for j := range want {
					if got.String()[j] != want[j] {
						t.Errorf("%q.Contains(%q, %v) = %c, packaging %c", spec, grid[j], pre == 1, got.String()[j], want[j])
					}
				}
			}
		}
	}

	// Filter on the empty set and on single clauses, where packaging's clause-by-clause
	// fallback and ours coincide.
	for i, spec := range filters {
		ss, _ := ParseSpecifiers(spec)
		var got []int
		for _, v := range ss.Filter(gv) {
			got = append(got, slices.IndexFunc(gv, func(w Version) bool { return w.String() == v.String() }))
		}
		if fmt.Sprint(got) != fmt.Sprint(ans.Filter[i]) {
			t.Errorf("%q.Filter = %v, packaging %v", spec, got, ans.Filter[i])
		}
	}
}
