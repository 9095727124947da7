package versions

import "testing"

func FuzzParseVersion(f *testing.F) {
	for _, s := range packagingSorted {
		f.Add(s, "1.0")
	}
	for _, c := range normalizeCases {
		f.Add(c.in, c.want)
	}
	for _, s := range invalidVersions {
		f.Add(s, "1.0a1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, err := Parse(a)
		if err != nil {
			return
		}
		s := va.String()
		again, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", a, s, err)
		}
		if again.String() != s || again.Compare(va) != 0 || va.Compare(va) != 0 {
			t.Fatalf("round trip of %q: %q then %q", a, s, again)
		}
		if va.Public().Compare(va) > 0 || va.BaseVersion().IsZero() {
			t.Fatalf("%q: Public sorts after the version", a)
		}
		vb, err := Parse(b)
		if err != nil {
			return
		}
		if c1, c2 := va.Compare(vb), vb.Compare(va); c1 != -c2 {
			t.Fatalf("Compare(%q, %q) = %d but reverse = %d", va, vb, c1, c2)
		}
		if (va.Compare(vb) == 0) != (va.String() == vb.String()) && len(va.Release()) == len(vb.Release()) {
			t.Fatalf("%q and %q: equal releases of the same length but Compare and String disagree", va, vb)
		}
	})
}

func FuzzParseSpecifiers(f *testing.F) {
	for _, s := range []string{"", ">=1.0,<2", "~= 1.4.5", "==1.*", "!=1.0+local", "===foo", ">1.0a1, <= 2!3", "==v1.0.*,,", "<1.0.dev1"} {
		f.Add(s, "1.0")
	}
	f.Add(">=2.0.post1", "2.0.post2.dev1+x")
	f.Fuzz(func(t *testing.T, spec, version string) {
		ss, err := ParseSpecifiers(spec)
		if err != nil {
			return
		}
		s := ss.String()
		again, err := ParseSpecifiers(s)
		if err != nil {
			t.Fatalf("ParseSpecifiers(%q).String() = %q, which does not parse: %v", spec, s, err)
		}
		if again.String() != s {
			t.Fatalf("round trip of %q: %q then %q", spec, s, again)
		}
		v, err := Parse(version)
		if err != nil {
			return
		}
		for _, pre := range []bool{false, true} {
			if ss.Contains(v, pre) != again.Contains(v, pre) {
				t.Fatalf("%q and its canonical form %q disagree on %q", spec, s, v)
			}
		}
		if ss.Contains(v, false) && !ss.Contains(v, true) {
			t.Fatalf("%q contains %q only without pre-releases", spec, v)
		}
		_ = ss.Filter([]Version{v, MustParse("1.0"), MustParse("1.0a1")})
	})
}
