package filenames

import "testing"

func TestSplitWheel(t *testing.T) {
	tests := []struct {
		in   string
		want WheelParts
		ok   bool
	}{
		{"six-1.16.0-py2.py3-none-any.whl", WheelParts{Name: "six", Version: "1.16.0", Python: "py2.py3", ABI: "none", Platform: "any", Count: 5}, true},
		{"foo-1.0-01abc-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
			WheelParts{Name: "foo", Version: "1.0", Build: "01abc", Python: "cp312", ABI: "cp312", Platform: "manylinux_2_17_x86_64.manylinux2014_x86_64", Count: 6}, true},
		{"foo-1.0-py3-none.whl", WheelParts{Count: 4}, false},
		{"a-b-c-d-e-f-g.whl", WheelParts{Count: 7}, false},
		{"foo-1.0.tar.gz", WheelParts{Count: 2}, false},
		{".whl", WheelParts{Count: 1}, false},
		{"----.whl", WheelParts{Count: 5}, true},
	}
	for _, tt := range tests {
		got, ok := SplitWheel(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("SplitWheel(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	// It splits without allocating: a sync splits every file's name several times.
	if n := testing.AllocsPerRun(100, func() { _, _ = SplitWheel(tests[1].in) }); n != 0 {
		t.Errorf("SplitWheel: %v allocations, want 0", n)
	}
	// Parse and SplitWheel agree on what they both read.
	for _, tt := range tests[:2] {
		d, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := SplitWheel(tt.in); d.Name != p.Name || d.Build != p.Build {
			t.Errorf("%s: Parse %+v, SplitWheel %+v", tt.in, d, p)
		}
	}
}
