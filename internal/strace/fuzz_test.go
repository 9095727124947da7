package strace

import (
	"bytes"
	"testing"
)

// FuzzParse: any input parses without panicking, every event's text stays within the
// limits, and lines come out in order. The seeds in testdata/fuzz/FuzzParse hold the
// pathological cases: a line over 64 KiB, deep nesting, unbalanced quotes and brackets,
// an unfinished call never resumed, resumes without a start, nested annotations.
func FuzzParse(f *testing.F) {
	f.Add([]byte("1 openat(AT_FDCWD</a>, \"x\", O_RDONLY) = 3</a/x>\n"))
	f.Add([]byte("2 clone3({flags=CLONE_VM}, 88 <unfinished ...>\n2 <... clone3 resumed>) = 5 /* 9 in strace's PID NS */\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, lim := range []Limits{{}, {Line: 256, Tail: 32, Pending: 1024}} {
			last := 0
			err := (&Parser{Limits: lim}).Parse(bytes.NewReader(in), func(e *Event) error {
				if e.Line <= 0 {
					t.Fatalf("line %d", e.Line)
				}
				if !e.Killed && e.Line < last {
					t.Fatalf("line %d after %d", e.Line, last)
				}
				last = max(last, e.Line)
				l := lim.withDefaults()
				n := 0
				for _, a := range e.Args {
					n += len(a.Raw)
					_ = a.Strings()
					_ = a.AllStrings()
					_, _ = SockAddr(a.Raw)
					_, _ = ParseSocket(a.Path)
				}
				if n > l.Line {
					t.Fatalf("%d bytes of arguments over a %d-byte line limit", n, l.Line)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}
