package versions

import (
	"cmp"
	"strings"
)

// Compare returns -1, 0 or +1 following PEP 440 ordering (1.0 == 1.0.0).
//
// The key is the packaging library's: epoch, release without trailing zeros, then the
// pre-release (a dev release of a final, "1.0.dev1", sorts before every pre-release of
// 1.0; a version without pre-release sorts after all of them), the post-release (absent
// first), the dev release (absent last) and the local label (absent first; numeric
// parts above alphanumeric ones).
//
// The zero Version sorts before every parsed version.
func (v Version) Compare(w Version) int {
	if v.IsZero() || w.IsZero() {
		switch {
		case !v.IsZero():
			return 1
		case !w.IsZero():
			return -1
		}
		return 0
	}
	if c := cmp.Compare(v.epoch, w.epoch); c != 0 {
		return c
	}
	if c := compareRelease(v.release, w.release); c != 0 {
		return c
	}
	if c := cmp.Compare(v.preRank(), w.preRank()); c != 0 {
		return c
	}
	if v.preL != "" {
		if c := cmp.Compare(v.preN, w.preN); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(v.post, w.post); c != 0 { // -1 (absent) sorts first
		return c
	}
	if c := cmp.Compare(devKey(v.dev), devKey(w.dev)); c != 0 {
		return c
	}
	return compareLocal(v.local, w.local)
}

// Equal reports whether v and w compare equal (1.0 equals 1.0.0).
func (v Version) Equal(w Version) bool { return v.Compare(w) == 0 }

// Less reports whether v sorts before w; handy for slices.SortFunc wrappers.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

// preRank orders the pre-release segment: a dev release of a plain release first, then
// a < b < rc, then no pre-release.
func (v Version) preRank() int {
	switch v.preL {
	case "a":
		return 1
	case "b":
		return 2
	case "rc":
		return 3
	}
	if v.post < 0 && v.dev >= 0 {
		return 0
	}
	return 4
}

func devKey(d int) int {
	if d < 0 {
		return int(^uint(0) >> 1)
	}
	return d
}

func compareRelease(a, b []int) int {
	for len(a) > 0 && a[len(a)-1] == 0 {
		a = a[:len(a)-1]
	}
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := cmp.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// compareLocal compares normalized local labels part by part: numbers numerically and
// above strings, strings lexically, a prefix before a longer label, absent first.
func compareLocal(a, b string) int {
	if a == b {
		return 0
	}
	if a == "" {
		return -1
	}
	if b == "" {
		return 1
	}
	for a != "" && b != "" {
		var pa, pb string
		pa, a, _ = strings.Cut(a, ".")
		pb, b, _ = strings.Cut(b, ".")
		da, db := allDigits(pa), allDigits(pb)
		var c int
		switch {
		case da && db:
			// Normalized numbers have no leading zeros: longer is larger.
			c = cmp.Compare(len(pa), len(pb))
			if c == 0 {
				c = strings.Compare(pa, pb)
			}
		case da:
			c = 1
		case db:
			c = -1
		default:
			c = strings.Compare(pa, pb)
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}
