package versions

import (
	"errors"
	"slices"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

func TestParseSpecifier(t *testing.T) {
	cases := []struct{ in, want string }{
		{"~=2.0", "~=2.0"}, {"==2.1.*", "==2.1.*"}, {"==2.1.0.3", "==2.1.0.3"}, {"!=2.2.*", "!=2.2.*"},
		{"!=2.2.0.5", "!=2.2.0.5"}, {"<=5", "<=5"}, {">=7.9a1", ">=7.9a1"}, {"<1.0.dev1", "<1.0.dev1"},
		{">2.0.post1", ">2.0.post1"}, {"===lolwat", "===lolwat"}, {" >= 1.0-Beta-2 ", ">=1.0b2"},
		{"==v1.0", "==1.0"}, {"==1.0+Local-1", "==1.0+local.1"}, {"!= 1.0+abc", "!=1.0+abc"},
		{"==V01.0.*", "==1.0.*"}, {"==1!1.*", "==1!1.*"}, {"~= 1.4.5", "~=1.4.5"}, {"<2", "<2"}, {">0", ">0"},
		{"===1.0 ", "===1.0"}, {"~=1.0a1", "~=1.0a1"},
	}
	for _, c := range cases {
		s, err := ParseSpecifier(c.in)
		if err != nil {
			t.Errorf("ParseSpecifier(%q): %v", c.in, err)
			continue
		}
		if got := s.String(); got != c.want {
			t.Errorf("ParseSpecifier(%q).String() = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseSpecifierInvalid(t *testing.T) {
	for _, in := range []string{
		"2.0", "=>2.0", "==", "", "   ", "=2.0", "~2.0", "===", "=== ",
		"~=1.0+5", ">=1.0+deadbeef", "<=1.0+abc123", ">1.0+watwat", "<1.0+1.0",
		"~=1.0.*", ">=1.0.*", "<=1.0.*", ">1.0.*", "<1.0.*", "===1.0 2",
		"==1.0.*+5", "!=1.0.*+deadbeef", "==2.0a1.*", "!=2.0a1.*", "==2.0.post1.*", "!=2.0.post1.*",
		"==2.0.dev1.*", "!=2.0.dev1.*", "==1.0+5.*", "!=1.0+deadbeef.*", "==1.0.*.5", "~=1", "~=1!1",
		"==1.0.dev1.*", "==*", "==1.*.*", "==1.0-.*", ">=1.0,", "==1.0;", "==french toast",
	} {
		s, err := ParseSpecifier(in)
		if err == nil {
			t.Errorf("ParseSpecifier(%q) = %q, want an error", in, s)
		} else if !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("ParseSpecifier(%q): %v does not wrap ErrInvalid", in, err)
		}
	}
}

// packaging's test_comparison_true and test_comparison_false, with prereleases=True.
func TestSpecifierContains(t *testing.T) {
	yes := [][2]string{
		{"2.0", "==2"}, {"2.0", "==2.0"}, {"2.0", "==2.0.0"}, {"2.0+deadbeef", "==2"}, {"2.0+deadbeef", "==2.0"},
		{"2.0+deadbeef", "==2.0.0"}, {"2.0+deadbeef", "==2+deadbeef"}, {"2.0+deadbeef", "==2.0+deadbeef"},
		{"2.0+deadbeef", "==2.0.0+deadbeef"}, {"2.0+deadbeef.0", "==2.0.0+deadbeef.00"},
		{"2.dev1", "==2.*"}, {"2a1", "==2.*"}, {"2a1.post1", "==2.*"}, {"2b1", "==2.*"}, {"2b1.dev1", "==2.*"},
		{"2c1", "==2.*"}, {"2c1.post1.dev1", "==2.*"}, {"2c1.post1.dev1", "==2.0.*"}, {"2rc1", "==2.*"},
		{"2rc1", "==2.0.*"}, {"2", "==2.*"}, {"2", "==2.0.*"}, {"2", "==0!2.*"}, {"0!2", "==2.*"}, {"2.0", "==2.*"},
		{"2.0.0", "==2.*"}, {"2.1+local.version", "==2.1.*"},
		{"2.1", "!=2"}, {"2.1", "!=2.0"}, {"2.0.1", "!=2"}, {"2.0.1", "!=2.0"}, {"2.0.1", "!=2.0.0"},
		{"2.0", "!=2.0+deadbeef"}, {"2.0", "!=3.*"}, {"2.1", "!=2.0.*"},
		{"2.0", ">=2"}, {"2.0", ">=2.0"}, {"2.0", ">=2.0.0"}, {"2.0.post1", ">=2"}, {"2.0.post1.dev1", ">=2"}, {"3", ">=2"},
		{"2.0", "<=2"}, {"2.0", "<=2.0"}, {"2.0", "<=2.0.0"}, {"2.0.dev1", "<=2"}, {"2.0a1", "<=2"},
		{"2.0a1.dev1", "<=2"}, {"2.0b1", "<=2"}, {"2.0b1.post1", "<=2"}, {"2.0c1", "<=2"}, {"2.0c1.post1.dev1", "<=2"},
		{"2.0rc1", "<=2"}, {"1", "<=2"}, {"2.0+local", "<=2"},
		{"3", ">2"}, {"2.1", ">2.0"}, {"2.0.1", ">2"}, {"2.1.post1", ">2"}, {"2.1+local.version", ">2"},
		{"2.0.post2", ">2.0.post1"}, {"2.0.1+local", ">2.0"},
		{"1", "<2"}, {"2.0", "<2.1"}, {"2.0.dev0", "<2.1"}, {"2.0a1", "<2.0a2"}, {"2.0.dev1", "<2.0a1"},
		{"1", "~=1.0"}, {"1.0.1", "~=1.0"}, {"1.1", "~=1.0"}, {"1.9999999", "~=1.0"}, {"1.1", "~=1.0a1"},
		{"2022.01.01", "~=2022.01.01"}, {"2.2.post3", "~=2.2.post3"}, {"2.9", "~=2.2.post3"}, {"1.4.9", "~=1.4.5"},
		{"2!1.0", "~=2!1.0"}, {"2!1.0", "==2!1.*"}, {"2!1.0", "==2!1.0"}, {"2!1.0", "!=1.0"}, {"1.0", "!=2!1.0"},
		{"1.0", "<=2!0.1"}, {"2!1.0", ">=2.0"}, {"1.0", "<2!0.1"}, {"2!1.0", ">2.0"}, {"2.0.5", ">2.0dev"},
		{"1.0", "===1.0"}, {"1.0.post1", "===1.0.POST1"},
	}
	no := [][2]string{
		{"2.1", "==2"}, {"2.1", "==2.0"}, {"2.1", "==2.0.0"}, {"2.0", "==2.0+deadbeef"}, {"2.0", "==3.*"}, {"2.1", "==2.0.*"},
		{"2.0", "!=2"}, {"2.0", "!=2.0"}, {"2.0", "!=2.0.0"}, {"2.0+deadbeef", "!=2"}, {"2.0+deadbeef", "!=2.0"},
		{"2.0+deadbeef", "!=2.0.0"}, {"2.0+deadbeef", "!=2+deadbeef"}, {"2.0+deadbeef", "!=2.0+deadbeef"},
		{"2.0+deadbeef", "!=2.0.0+deadbeef"}, {"2.0+deadbeef.0", "!=2.0.0+deadbeef.00"},
		{"2.dev1", "!=2.*"}, {"2a1", "!=2.*"}, {"2a1.post1", "!=2.*"}, {"2b1", "!=2.*"}, {"2b1.dev1", "!=2.*"},
		{"2c1", "!=2.*"}, {"2c1.post1.dev1", "!=2.*"}, {"2c1.post1.dev1", "!=2.0.*"}, {"2rc1", "!=2.*"},
		{"2rc1", "!=2.0.*"}, {"2", "!=2.*"}, {"2", "!=2.0.*"}, {"2.0", "!=2.*"}, {"2.0.0", "!=2.*"},
		{"2.0.dev1", ">=2"}, {"2.0a1", ">=2"}, {"2.0a1.dev1", ">=2"}, {"2.0b1", ">=2"}, {"2.0b1.post1", ">=2"},
		{"2.0c1", ">=2"}, {"2.0c1.post1.dev1", ">=2"}, {"2.0rc1", ">=2"}, {"1", ">=2"},
		{"2.0.post1", "<=2"}, {"2.0.post1.dev1", "<=2"}, {"3", "<=2"},
		{"1", ">2"}, {"2.0.dev1", ">2"}, {"2.0a1", ">2"}, {"2.0a1.post1", ">2"}, {"2.0b1", ">2"},
		{"2.0b1.post1", ">2"}, {"2.0c1", ">2"}, {"2.0c1.post1.dev1", ">2"}, {"2.0rc1", ">2"}, {"2.0", ">2"},
		{"2.0.post1", ">2"}, {"2.0.post1.dev1", ">2"}, {"2.0+local.version", ">2"}, {"2.0.post1+local", ">2"},
		{"2.0.dev1", "<2"}, {"2.0a1", "<2"}, {"2.0a1.dev1", "<2"}, {"2.0b1", "<2"}, {"2.0b1.dev1", "<2"},
		{"2.0b1.post1", "<2"}, {"2.0c1", "<2"}, {"2.0c1.post1.dev1", "<2"}, {"2.0rc1", "<2"}, {"2.0", "<2"},
		{"2.post1", "<2"}, {"2.post1.dev1", "<2"}, {"3", "<2"}, {"2.0+local", "<2"},
		{"2.0", "~=1.0"}, {"1.1.0", "~=1.0.0"}, {"1.1.post1", "~=1.0.0"}, {"3.0", "~=2.2.post3"}, {"1.5.0", "~=1.4.5"},
		{"2.2.post2", "~=2.2.post3"}, {"1.0", "~=2!1.0"}, {"2!1.0", "~=1.0"}, {"2!1.0", "==1.0"}, {"1.0", "==2!1.0"},
		{"2!1.0", "==1.*"}, {"1.0", "==2!1.*"}, {"2!1.0", "!=2!1.0"}, {"1.0.0", "===1.0"}, {"1.0+x", "===1.0"},
	}
	for want, cases := range map[bool][][2]string{true: yes, false: no} {
		for _, c := range cases {
			s, err := ParseSpecifier(c[1])
			if err != nil {
				t.Fatalf("ParseSpecifier(%q): %v", c[1], err)
			}
			if got := s.Contains(MustParse(c[0])); got != want {
				t.Errorf("%q.Contains(%q) = %v, want %v", c[1], c[0], got, want)
			}
			// A literal Specifier, as another package may build one, behaves the same.
			lit := Specifier{Op: s.Op, Version: c[1][len(s.Op):]}
			if got := lit.Contains(MustParse(c[0])); got != want {
				t.Errorf("literal %+v.Contains(%q) = %v, want %v", lit, c[0], got, want)
			}
		}
	}
}

func TestSpecifierSet(t *testing.T) {
	cases := []struct {
		spec      string
		str       string
		allowsPre bool
		in, out   []string // with prereleases=false
	}{
		{"", "", false, []string{"1.0", "0.1", "1.0.post1", "1!0"}, []string{"1.0a1", "1.0.dev1"}},
		{">=1.0, <2.0", "<2.0,>=1.0", false, []string{"1.0", "1.5", "1.9.post1"}, []string{"2.0", "1.5a1", "0.9", "2.0a1"}},
		{">=1.0a1,<2.0", "<2.0,>=1.0a1", true, []string{"1.0a1", "1.5b2", "1.0"}, []string{"2.0a1", "0.9"}},
		{"~=1.4.5,!=1.4.7", "!=1.4.7,~=1.4.5", false, []string{"1.4.5", "1.4.8"}, []string{"1.4.7", "1.5", "1.4.6rc1"}},
		{"==1.*,,", "==1.*", false, []string{"1", "1.9.9"}, []string{"2.0", "1.5a1"}},
		{"<=2.0.dev1", "<=2.0.dev1", true, []string{"2.0.dev1", "1.0a1", "2.0.dev0"}, []string{"2.0a1", "2.0"}},
		{">1.0,>1.0", ">1.0", false, []string{"1.1"}, []string{"1.0"}},
	}
	for _, c := range cases {
		ss, err := ParseSpecifiers(c.spec)
		if err != nil {
			t.Fatalf("ParseSpecifiers(%q): %v", c.spec, err)
		}
		if got := ss.String(); got != c.str {
			t.Errorf("ParseSpecifiers(%q).String() = %q, want %q", c.spec, got, c.str)
		}
		if got := ss.AllowsPrereleases(); got != c.allowsPre {
			t.Errorf("%q.AllowsPrereleases() = %v", c.spec, got)
		}
		for _, v := range c.in {
			if !ss.Contains(MustParse(v), false) {
				t.Errorf("%q should contain %q", c.spec, v)
			}
		}
		for _, v := range c.out {
			if ss.Contains(MustParse(v), false) {
				t.Errorf("%q should not contain %q", c.spec, v)
			}
		}
		if ss.Contains(Version{}, true) {
			t.Errorf("%q contains the zero Version", c.spec)
		}
	}
	if ss := mustSet(t, ">=1.0"); !ss.Contains(MustParse("2.0a1"), true) {
		t.Error(">=1.0 with prereleases=true should contain 2.0a1")
	}
	if _, err := ParseSpecifiers(">=1.0, foo"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("bad set: %v", err)
	}
}

func mustSet(t *testing.T, s string) SpecifierSet {
	t.Helper()
	ss, err := ParseSpecifiers(s)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

func TestFilter(t *testing.T) {
	cases := []struct {
		spec     string
		versions []string
		want     []string
	}{
		{"", []string{"1.0", "2.0a1"}, []string{"1.0"}},
		{"", []string{"1.0a1", "2.0a1"}, []string{"1.0a1", "2.0a1"}},
		{">=1.2.3", []string{"1.2", "1.3", "1.5a1"}, []string{"1.3"}},
		{">=1.2.3", []string{"1.2", "1.5a1"}, []string{"1.5a1"}},
		{">=1.2.3,<2", []string{"1.2", "1.5a1", "2.0"}, []string{"1.5a1"}}, // packaging gives []
		{">=1.2.3a1", []string{"1.2", "1.3", "1.5a1"}, []string{"1.3", "1.5a1"}},
		{"==1.0.*", []string{"0.9", "1.0.dev1", "1.1"}, []string{"1.0.dev1"}},
		{"<1", []string{"1.0a1", "2.0"}, nil},
		{"~=1.0", []string{"1.0.post1", "1.0a1", "1.9", "2.0"}, []string{"1.0.post1", "1.9"}},
	}
	for _, c := range cases {
		var vs []Version
		for _, s := range c.versions {
			vs = append(vs, MustParse(s))
		}
		var got []string
		for _, v := range mustSet(t, c.spec).Filter(vs) {
			got = append(got, v.String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q.Filter(%v) = %v, want %v", c.spec, c.versions, got, c.want)
		}
	}
}
