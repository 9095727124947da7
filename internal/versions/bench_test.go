package versions

import "testing"

var benchInputs = []string{"1.0", "2.31.0", "1!2.0.post1.dev3+abc.5", "v1.0-Beta-2", "2024.1.15", "0.9.9rc1"}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Parse(benchInputs[i%len(benchInputs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	v := MustParse("1!2.0.post1.dev3+abc.5")
	b.ReportAllocs()
	for b.Loop() {
		_ = v.String()
	}
}

func BenchmarkCompare(b *testing.B) {
	vs := make([]Version, len(benchInputs))
	for i, s := range benchInputs {
		vs[i] = MustParse(s)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = vs[i%len(vs)].Compare(vs[(i+1)%len(vs)])
	}
}

func BenchmarkSpecifierSetContains(b *testing.B) {
	ss, err := ParseSpecifiers(">=1.0,<3.0,!=2.0.*,~=2.1")
	if err != nil {
		b.Fatal(err)
	}
	v := MustParse("2.31.0")
	b.ReportAllocs()
	for b.Loop() {
		_ = ss.Contains(v, false)
	}
}
