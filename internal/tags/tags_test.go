package tags

import (
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/testdist"
)

func TestParseSet(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"py3-none-any", []string{"py3-none-any"}},
		{"py2.py3-none-any", []string{"py2-none-any", "py3-none-any"}},
		{"cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", []string{"cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"}},
		{"cp36.cp37-abi3.none-linux_x86_64.any", []string{
			"cp36-abi3-linux_x86_64", "cp36-abi3-any", "cp36-none-linux_x86_64", "cp36-none-any",
			"cp37-abi3-linux_x86_64", "cp37-abi3-any", "cp37-none-linux_x86_64", "cp37-none-any"}},
		{"PY3-None-Any", []string{"py3-none-any"}},
		{"cp313-cp313t-win_amd64", []string{"cp313-cp313t-win_amd64"}},
	}
	for _, c := range cases {
		got, err := ParseSet(c.in)
		if err != nil {
			t.Errorf("ParseSet(%q): %v", c.in, err)
			continue
		}
		var gs []string
		for _, tag := range got {
			gs = append(gs, tag.String())
		}
		if !slices.Equal(gs, c.want) {
			t.Errorf("ParseSet(%q) = %v, want %v", c.in, gs, c.want)
		}
	}
	for _, in := range []string{"", "py3", "py3-none", "py3-none-any-x", "py3..py2-none-any", "py3-none-", "-none-any",
		"py3-no ne-any", "py3-none-any/x", "py3-none-.any", "py3-none-any.", "py3-nöne-any"} {
		if tags, err := ParseSet(in); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("ParseSet(%q) = %v, %v; want ErrInvalid", in, tags, err)
		}
	}
}

func referenceTags(t *testing.T, python string, args ...string) map[string][]string {
	t.Helper()
	out, err := exec.Command(python, append([]string{"testdata/packaging_tags.py"}, args...)...).Output()
	if err != nil {
		t.Fatalf("%s testdata/packaging_tags.py: %v", python, err)
	}
	var m map[string][]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// hostGlibc returns the glibc version that `ldd --version` reports.
func hostGlibc(t *testing.T) (int, int) {
	t.Helper()
	out, err := exec.Command("ldd", "--version").Output()
	if err != nil {
		t.Fatalf("ldd --version: %v", err)
	}
	m := regexp.MustCompile(`(\d+)\.(\d+)\s*$`).FindStringSubmatch(strings.SplitN(string(out), "\n", 2)[0])
	if m == nil {
		t.Fatalf("no glibc version in %q", out)
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	return a, b
}

func hostArch(t *testing.T) string {
	out, err := exec.Command("uname", "-m").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func tagStrings(ts []Tag) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

func diff(t *testing.T, name string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("%s: tag %d is %q, packaging %q (got %d tags, want %d)", name, i, got[i], want[i], len(got), len(want))
			return
		}
	}
	t.Errorf("%s: got %d tags, packaging %d", name, len(got), len(want))
}

// TestHostSysTags compares with sys_tags() of the host's Pythons: 3.13 (pip 24,
// packaging 24) exactly, and python3 = 3.11 (pip 23.2, packaging 21.3) exactly except
// for cp311-none-any, which packaging added in 22.0.
func TestHostSysTags(t *testing.T) {
	major, minor := hostGlibc(t)
	arch := hostArch(t)
	for _, c := range []struct {
		python      string
		minor       int
		noInterpAny bool
	}{
		{testdist.Python(t, "3.13"), 13, false},
		{"python3", 11, true},
	} {
		var args []string
		if c.noInterpAny {
			args = []string{"--sys-only"}
		}
		ref := referenceTags(t, c.python, args...)
		tg := Target{Implementation: "cp", Major: 3, Minor: c.minor, OS: "linux", Arch: arch, Libc: "glibc", LibcMajor: major, LibcMinor: minor}
		got := tagStrings(tg.Tags())
		if c.noInterpAny {
			got = slices.DeleteFunc(got, func(s string) bool { return s == tg.PythonTag()+"-none-any" })
		}
		diff(t, c.python+" sys_tags", got, ref["sys_tags"])
		if c.minor == 13 {
			t.Logf("host cp313 on glibc %d.%d %s: %d tags, identical to packaging", major, minor, arch, len(got))
			for name, want := range ref {
				if name == "sys_tags" {
					continue
				}
				diff(t, name, tagStrings(scenario(t, name).Tags()), want)
			}
		}
	}
}

// scenario builds the Target that testdata/packaging_tags.py names.
func scenario(t *testing.T, name string) Target {
	targets := map[string]Target{
		"cp37-manylinux-aarch64-2.28":  {Major: 3, Minor: 7, OS: "linux", Arch: "aarch64", Libc: "glibc", LibcMajor: 2, LibcMinor: 28},
		"cp38-manylinux-i686-2.17":     {Major: 3, Minor: 8, OS: "linux", Arch: "i686", Libc: "glibc", LibcMajor: 2, LibcMinor: 17},
		"cp312-musllinux-x86_64-1.2":   {Major: 3, Minor: 12, OS: "linux", Arch: "x86_64", Libc: "musl", LibcMajor: 1, LibcMinor: 2},
		"cp313t-manylinux-x86_64-2.39": {Major: 3, Minor: 13, ABIFlags: "t", OS: "linux", Arch: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 39},
		"cp310-linux-armv8l-2.31":      {Major: 3, Minor: 10, OS: "linux", Arch: "armv8l", Libc: "glibc", LibcMajor: 2, LibcMinor: 31},
		"cp39-linux-riscv64-none":      {Major: 3, Minor: 9, OS: "linux", Arch: "riscv64"},
		"cp311-macos-x86_64-10.15":     {Major: 3, Minor: 11, OS: "macos", Arch: "x86_64", OSMajor: 10, OSMinor: 15},
		"cp312-macos-arm64-14.0":       {Major: 3, Minor: 12, OS: "macos", Arch: "arm64", OSMajor: 14},
		"cp311-macos-x86_64-12.3":      {Major: 3, Minor: 11, OS: "macos", Arch: "x86_64", OSMajor: 12, OSMinor: 3},
		"cp311-windows-x86_64":         {Major: 3, Minor: 11, OS: "windows", Arch: "x86_64"},
		"pp310-manylinux-x86_64-2.28":  {Implementation: "pp", Major: 3, Minor: 10, ABI: "pypy310_pp73", OS: "linux", Arch: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 28},
	}
	tg, ok := targets[name]
	if !ok {
		t.Fatalf("no target for scenario %q", name)
	}
	return tg
}

func TestRank(t *testing.T) {
	tg := Target{Implementation: "cp", Major: 3, Minor: 11, OS: "linux", Arch: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 36}
	rank := func(set string) (int, bool) {
		ts, err := ParseSet(set)
		if err != nil {
			t.Fatal(err)
		}
		return tg.Rank(ts)
	}
	order := []string{
		"cp311-cp311-manylinux_2_36_x86_64",
		"cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
		"cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64",
		"cp311-cp311-linux_x86_64",
		"cp311-abi3-manylinux_2_28_x86_64",
		"cp37-abi3-manylinux2014_x86_64",
		"py3-none-manylinux1_x86_64",
		"py2.py3-none-any",
	}
	prev := -1
	for _, set := range order {
		r, ok := rank(set)
		if !ok || r <= prev {
			t.Errorf("Rank(%s) = %d, %v; want supported and > %d", set, r, ok, prev)
		}
		prev = r
	}
	for _, set := range []string{"cp312-cp312-manylinux_2_17_x86_64", "cp311-cp311-manylinux_2_37_x86_64", "cp311-cp311-musllinux_1_2_x86_64",
		"cp311-cp311-win_amd64", "py2-none-any", "cp311-cp311-manylinux_2_17_aarch64", "cp311-abi3-linux_i686", "pp310-pypy310_pp73-any"} {
		if r, ok := rank(set); ok {
			t.Errorf("Rank(%s) = %d, want unsupported", set, r)
		}
	}
	if r, ok := rank("CP311-CP311-LINUX_X86_64"); !ok || r == 0 {
		t.Errorf("upper-case tags: %d %v", r, ok)
	}
	s := tg.Supported()
	if !s.Compatible([]Tag{{"py3", "none", "any"}}) || s.Compatible(nil) {
		t.Error("Supported.Compatible")
	}
}

func TestTargetHelpers(t *testing.T) {
	cases := []struct {
		tg        Target
		py        string
		abis      []string
		firstPlat string
	}{
		{Target{Major: 3, Minor: 11, OS: "linux", Arch: "x86_64", LibcMajor: 2, LibcMinor: 17}, "cp311", []string{"cp311"}, "manylinux_2_17_x86_64"},
		{Target{Implementation: "cp", Major: 3, Minor: 7}, "cp37", []string{"cp37m"}, "linux_"},
		{Target{Major: 3, Minor: 11, ABIFlags: "d", OS: "windows", Arch: "i686"}, "cp311", []string{"cp311d", "cp311"}, "win32"},
		{Target{Major: 3, Minor: 13, ABIFlags: "t", OS: "macos", Arch: "aarch64"}, "cp313", []string{"cp313t"}, "macosx_11_0_arm64"},
		{Target{Implementation: "pp", Major: 3, Minor: 9, OS: "windows", Arch: "arm64"}, "pp39", nil, "win_arm64"},
	}
	for _, c := range cases {
		if got := c.tg.PythonTag(); got != c.py {
			t.Errorf("%+v.PythonTag() = %q, want %q", c.tg, got, c.py)
		}
		if got := c.tg.ABITags(); !slices.Equal(got, c.abis) {
			t.Errorf("%+v.ABITags() = %q, want %q", c.tg, got, c.abis)
		}
		if got := c.tg.Platforms()[0]; got != c.firstPlat {
			t.Errorf("%+v.Platforms()[0] = %q, want %q", c.tg, got, c.firstPlat)
		}
	}
	// Free-threaded builds have no abi3.
	for _, tag := range (Target{Major: 3, Minor: 13, ABIFlags: "t", OS: "linux", Arch: "x86_64"}).Tags() {
		if tag.ABI == "abi3" {
			t.Fatal("abi3 offered to a free-threaded build")
		}
	}
}

func TestWithPlatform(t *testing.T) {
	base := Target{Implementation: "cp", Major: 3, Minor: 12}
	cases := []struct {
		in   string
		want Target
	}{
		{"manylinux_2_28_x86_64", Target{OS: "linux", Arch: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 28}},
		{"manylinux2014_aarch64", Target{OS: "linux", Arch: "aarch64", Libc: "glibc", LibcMajor: 2, LibcMinor: 17}},
		{"manylinux2010_x86_64", Target{OS: "linux", Arch: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 12}},
		{"manylinux1_i686", Target{OS: "linux", Arch: "i686", Libc: "glibc", LibcMajor: 2, LibcMinor: 5}},
		{"musllinux_1_2_ppc64le", Target{OS: "linux", Arch: "ppc64le", Libc: "musl", LibcMajor: 1, LibcMinor: 2}},
		{"linux_armv7l", Target{OS: "linux", Arch: "armv7l"}},
		{"macosx_10_9_x86_64", Target{OS: "macos", Arch: "x86_64", OSMajor: 10, OSMinor: 9}},
		{"macosx_14_0_arm64", Target{OS: "macos", Arch: "arm64", OSMajor: 14}},
		{"win_amd64", Target{OS: "windows", Arch: "x86_64"}},
		{"win32", Target{OS: "windows", Arch: "i686"}},
		{"win_arm64", Target{OS: "windows", Arch: "arm64"}},
	}
	for _, c := range cases {
		got, err := base.WithPlatform(c.in)
		if err != nil {
			t.Errorf("WithPlatform(%q): %v", c.in, err)
			continue
		}
		want := c.want
		want.Implementation, want.Major, want.Minor = "cp", 3, 12
		if got != want {
			t.Errorf("WithPlatform(%q) = %+v, want %+v", c.in, got, want)
		}
		// The platform itself is then among the target's platforms.
		if !slices.Contains(got.Platforms(), c.in) {
			t.Errorf("WithPlatform(%q).Platforms() = %v lacks it", c.in, got.Platforms())
		}
	}
	for _, in := range []string{"", "any", "manylinux_2_x86_64", "manylinux_a_b_x86_64", "musllinux_1", "linux_", "macosx_11_arm64", "freebsd_13_amd64", "manylinux1_"} {
		if _, err := base.WithPlatform(in); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("WithPlatform(%q): %v, want ErrInvalid", in, err)
		}
	}
}

func FuzzParseTagSet(f *testing.F) {
	for _, s := range []string{"py3-none-any", "py2.py3-none-any", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", "a..b-c-d", "-"} {
		f.Add(s)
	}
	tg := Target{Major: 3, Minor: 11, OS: "linux", Arch: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 36}.Supported()
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseSet(s)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if len(ts) == 0 {
			t.Fatalf("ParseSet(%q) gave no tags and no error", s)
		}
		for _, tag := range ts {
			again, err := ParseSet(tag.String())
			if err != nil || len(again) != 1 || again[0] != tag {
				t.Fatalf("tag %q of %q does not round-trip: %v %v", tag, s, again, err)
			}
		}
		tg.Rank(ts)
	})
}

func BenchmarkSupportedRank(b *testing.B) {
	s := Target{Major: 3, Minor: 11, OS: "linux", Arch: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 36}.Supported()
	ts, _ := ParseSet("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")
	b.ReportAllocs()
	for b.Loop() {
		s.Rank(ts)
	}
}

// TestParseSetOneTagAllocs: a set of one lower-case tag, as nearly every wheel has, is
// parsed with one allocation (its slice), and gives the same tags as the general path.
func TestParseSetOneTagAllocs(t *testing.T) {
	for _, s := range []string{"py3-none-any", "cp311-cp311-manylinux_2_17_x86_64"} {
		if n := testing.AllocsPerRun(100, func() { _, _ = ParseSet(s) }); n > 1 {
			t.Errorf("ParseSet(%q): %v allocations, want 1", s, n)
		}
	}
	for s, want := range map[string][]Tag{
		"py3-none-any":     {{"py3", "none", "any"}},
		"Py3-None-Any":     {{"py3", "none", "any"}},
		"py2.py3-none-any": {{"py2", "none", "any"}, {"py3", "none", "any"}},
	} {
		got, err := ParseSet(s)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseSet(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"py3-none", "py3-none-any-x", "py3--any", "py3-no ne-any", "-none-any"} {
		if _, err := ParseSet(s); err == nil {
			t.Errorf("ParseSet(%q): no error", s)
		}
	}
}
