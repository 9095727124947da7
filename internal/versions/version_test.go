package versions

import (
	"errors"
	"slices"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

// packagingSorted is packaging's test_version.py VERSIONS list, in increasing order.
var packagingSorted = func() []string {
	base := []string{
		"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456",
		"1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0b2-346", "1.0c1.dev456",
		"1.0c1", "1.0rc2", "1.0c3", "1.0", "1.0.post456.dev34", "1.0.post456", "1.1.dev1",
		"1.2+123abc", "1.2+123abc456", "1.2+abc", "1.2+abc123", "1.2+abc123def", "1.2+1234.abc",
		"1.2+123456", "1.2.r32+123456", "1.2.rev33+123456",
	}
	out := slices.Clone(base)
	for _, v := range base {
		out = append(out, "1!"+v)
	}
	return out
}()

var normalizeCases = []struct{ in, want string }{
	// dev
	{"1.0dev", "1.0.dev0"}, {"1.0.dev", "1.0.dev0"}, {"1.0dev1", "1.0.dev1"}, {"1.0-dev", "1.0.dev0"},
	{"1.0-dev1", "1.0.dev1"}, {"1.0DEV", "1.0.dev0"}, {"1.0.DEV", "1.0.dev0"}, {"1.0DEV1", "1.0.dev1"},
	{"1.0.DEV1", "1.0.dev1"}, {"1.0-DEV", "1.0.dev0"}, {"1.0-DEV1", "1.0.dev1"}, {"1.0_dev_2", "1.0.dev2"},
	// alpha
	{"1.0a", "1.0a0"}, {"1.0.a", "1.0a0"}, {"1.0.a1", "1.0a1"}, {"1.0-a", "1.0a0"}, {"1.0-a1", "1.0a1"},
	{"1.0alpha", "1.0a0"}, {"1.0.alpha", "1.0a0"}, {"1.0.alpha1", "1.0a1"}, {"1.0-alpha", "1.0a0"},
	{"1.0-alpha1", "1.0a1"}, {"1.0A", "1.0a0"}, {"1.0.A", "1.0a0"}, {"1.0.A1", "1.0a1"}, {"1.0-A", "1.0a0"},
	{"1.0-A1", "1.0a1"}, {"1.0ALPHA", "1.0a0"}, {"1.0.ALPHA", "1.0a0"}, {"1.0.ALPHA1", "1.0a1"},
	{"1.0-ALPHA", "1.0a0"}, {"1.0-ALPHA1", "1.0a1"}, {"1.0a.1", "1.0a1"}, {"1.0a-1", "1.0a1"}, {"1.0a_1", "1.0a1"},
	// beta
	{"1.0b", "1.0b0"}, {"1.0.b", "1.0b0"}, {"1.0.b1", "1.0b1"}, {"1.0-b", "1.0b0"}, {"1.0-b1", "1.0b1"},
	{"1.0beta", "1.0b0"}, {"1.0.beta", "1.0b0"}, {"1.0.beta1", "1.0b1"}, {"1.0-beta", "1.0b0"},
	{"1.0-beta1", "1.0b1"}, {"1.0B", "1.0b0"}, {"1.0BETA1", "1.0b1"},
	// rc, c, pre, preview
	{"1.0c", "1.0rc0"}, {"1.0.c", "1.0rc0"}, {"1.0.c1", "1.0rc1"}, {"1.0-c", "1.0rc0"}, {"1.0-c1", "1.0rc1"},
	{"1.0rc", "1.0rc0"}, {"1.0.rc", "1.0rc0"}, {"1.0.rc1", "1.0rc1"}, {"1.0-rc", "1.0rc0"}, {"1.0-rc1", "1.0rc1"},
	{"1.0C", "1.0rc0"}, {"1.0RC1", "1.0rc1"}, {"1.0pre", "1.0rc0"}, {"1.0.pre1", "1.0rc1"},
	{"1.0preview", "1.0rc0"}, {"1.0-preview2", "1.0rc2"}, {"1.0PREVIEW", "1.0rc0"},
	// post, rev, r, implicit
	{"1.0post", "1.0.post0"}, {"1.0.post", "1.0.post0"}, {"1.0post1", "1.0.post1"}, {"1.0-post", "1.0.post0"},
	{"1.0-post1", "1.0.post1"}, {"1.0POST", "1.0.post0"}, {"1.0.POST1", "1.0.post1"}, {"1.0-POST1", "1.0.post1"},
	{"1.0-5", "1.0.post5"}, {"1.0rev", "1.0.post0"}, {"1.0.rev1", "1.0.post1"}, {"1.0-rev1", "1.0.post1"},
	{"1.0r", "1.0.post0"}, {"1.0.r1", "1.0.post1"}, {"1.0-r1", "1.0.post1"}, {"1.0REV1", "1.0.post1"},
	{"1.0-post-1", "1.0.post1"}, {"1.0.post.1", "1.0.post1"}, {"1.0-1", "1.0.post1"}, {"1.0a1-1", "1.0a1.post1"},
	// local
	{"1.0+AbC", "1.0+abc"}, {"1.0+ubuntu-1", "1.0+ubuntu.1"}, {"1.0+ubuntu_1", "1.0+ubuntu.1"},
	{"1.0+abc.007", "1.0+abc.7"}, {"1.0+0", "1.0+0"}, {"1.0+00", "1.0+0"}, {"1.0+1.0.0", "1.0+1.0.0"},
	// epoch, leading zeros, v, white space
	{"v1.0", "1.0"}, {"V1.0", "1.0"}, {"  v1.0\t\n", "1.0"}, {"01.002.0030", "1.2.30"}, {"0!1.0", "1.0"},
	{"1!1.0", "1!1.0"}, {"01!1.0", "1!1.0"}, {"v1!1.0", "1!1.0"},
	// everything
	{"1!2.0.post1.dev3+abc.5", "1!2.0.post1.dev3+abc.5"}, {"V1!2.0-Preview_3.POST-4-dev5+XYZ-001", "1!2.0rc3.post4.dev5+xyz.1"},
	// trailing separators consumed by an implicit number
	{"1.0a-", "1.0a0"}, {"1.0post_", "1.0.post0"}, {"1.0dev.", "1.0.dev0"}, {"1.0a--1", "1.0a0.post1"}, {"1.0a-dev", "1.0a0.dev0"},
}

var invalidVersions = []string{
	"", " ", "french toast", "1.0+a+", "1.0++", "1.0+_foobar", "1.0+foo&asd", "1.0+1+1", "1.0+", "1.0+.a",
	"1.0+a.", "1.0.", ".1.0", "1..0", "1.0-", "1.0--1", "1!", "!1.0", "1!2!3", "a1.0", "vv1.0", "1.0a1a2", "1.0.post1.post2",
	"1.0.dev1.dev2", "1.0.dev1a1", "1.0 a1", "1.0.*", "1.0x", "1.0rc1rc", "1.0.ä", "١.٠", "1.0+ä",
}

// tooLarge are valid for packaging, which has unbounded integers, but not here.
var tooLarge = []string{"99999999999999999999", "1.99999999999999999999", "1.0a99999999999999999999", "9223372036854775808"}

func TestParseNormalize(t *testing.T) {
	for _, c := range normalizeCases {
		v, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := v.String(); got != c.want {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.want)
		}
		if w := MustParse(c.want); w.Compare(v) != 0 || w.String() != c.want {
			t.Errorf("canonical %q does not round-trip", c.want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, s := range append(slices.Clone(invalidVersions), tooLarge...) {
		v, err := Parse(s)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want an error", s, v)
			continue
		}
		if !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", s, err)
		}
	}
}

func TestCompareSortedList(t *testing.T) {
	vs := make([]Version, len(packagingSorted))
	for i, s := range packagingSorted {
		vs[i] = MustParse(s)
	}
	for i := range vs {
		for j := range vs {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := vs[i].Compare(vs[j]); got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", vs[i], vs[j], got, want)
			}
		}
	}
}

func TestCompareCases(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0.0", 0}, {"1.0", "1.0.0.0+0", -1}, {"1.10", "1.9", 1}, {"1.0", "1!0.1", -1},
		{"1.0.dev1", "1.0a1", -1}, {"1.0.post1.dev1", "1.0.post1", -1}, {"1.0.post1.dev1", "1.0", 1},
		{"1.0a1.dev1", "1.0a1", -1}, {"1.0a1.post1.dev1", "1.0a1.post1", -1}, {"1.0a1.post1", "1.0a2.dev1", -1},
		{"1.0rc1", "1.0c1", 0}, {"1.0.dev1", "1.0.post0.dev1", -1}, {"1.0+abc", "1.0+1", -1}, {"1.0+1.2", "1.0+1", 1},
		{"1.0+a.b", "1.0+a.1", -1}, {"1.0+10", "1.0+9", 1}, {"1.0+010", "1.0+10", 0}, {"1.0+1", "1.0.post0", -1},
		{"1.0-1", "1.0.post1", 0}, {"0.9.9", "1.0.dev0", -1}, {"1.0.0.dev0", "1.0a0", -1},
	}
	for _, c := range cases {
		a, b := MustParse(c.a), MustParse(c.b)
		if got := a.Compare(b); got != c.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := b.Compare(a); got != -c.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

func TestAccessors(t *testing.T) {
	v := MustParse("2!1.2.3rc4.post5.dev6+Loc-7")
	if v.Epoch() != 2 || !slices.Equal(v.Release(), []int{1, 2, 3}) || v.Local() != "loc.7" {
		t.Errorf("accessors of %q wrong: %d %v %q", v, v.Epoch(), v.Release(), v.Local())
	}
	if !v.IsPrerelease() || !v.IsPostrelease() || !v.IsDevrelease() {
		t.Errorf("%q flags wrong", v)
	}
	if got := v.Public().String(); got != "2!1.2.3rc4.post5.dev6" {
		t.Errorf("Public = %q", got)
	}
	if got := v.BaseVersion().String(); got != "2!1.2.3" {
		t.Errorf("BaseVersion = %q", got)
	}
	v.Release()[0] = 99
	if v.Release()[0] != 1 {
		t.Error("Release does not copy")
	}
	for s, pre := range map[string]bool{"1.0": false, "1.0.dev0": true, "1.0a1": true, "1.0.post1": false, "1.0.post1.dev1": true, "1.0+dev": false} {
		if got := MustParse(s).IsPrerelease(); got != pre {
			t.Errorf("%q.IsPrerelease() = %v", s, got)
		}
	}
	var zero Version
	if !zero.IsZero() || zero.String() != "" || zero.IsPrerelease() || zero.IsPostrelease() || zero.IsDevrelease() {
		t.Error("zero Version flags")
	}
	if zero.Compare(MustParse("0")) != -1 || MustParse("0.dev0").Compare(zero) != 1 || zero.Compare(Version{}) != 0 {
		t.Error("zero Version must sort first")
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse did not panic")
		}
	}()
	MustParse("not a version")
}
