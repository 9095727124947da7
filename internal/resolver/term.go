package resolver

import "math/bits"

// bitset is a set of indexes into a package's sorted version list.
type bitset []uint64

func (b bitset) has(i int) bool {
	w := i / 64
	return w < len(b) && b[w]&(1<<(uint(i)%64)) != 0
}

func (b *bitset) add(i int) {
	w := i / 64
	for len(*b) <= w {
		*b = append(*b, 0)
	}
	(*b)[w] |= 1 << (uint(i) % 64)
}

func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// highest returns the highest index in b, or -1.
func (b bitset) highest() int {
	for w := len(b) - 1; w >= 0; w-- {
		if b[w] != 0 {
			return w*64 + 63 - bits.LeadingZeros64(b[w])
		}
	}
	return -1
}

func (b bitset) and(c bitset) bitset {
	n := min(len(b), len(c))
	out := make(bitset, n)
	for i := range n {
		out[i] = b[i] & c[i]
	}
	return out
}

func (b bitset) andNot(c bitset) bitset {
	out := make(bitset, len(b))
	for i := range b {
		out[i] = b[i]
		if i < len(c) {
			out[i] &^= c[i]
		}
	}
	return out
}

func (b bitset) or(c bitset) bitset {
	if len(b) < len(c) {
		b, c = c, b
	}
	out := make(bitset, len(b))
	copy(out, b)
	for i := range c {
		out[i] |= c[i]
	}
	return out
}

// term is "pkg is selected with a version in set" (pos) or its negation "pkg is not
// selected, or selected with a version outside set" (!pos).
type term struct {
	pkg string
	set bitset
	pos bool
}

// anyTerm is what is known of a package nothing has been said about.
func anyTerm(pkg string) term { return term{pkg: pkg} }

func (t term) negate() term { return term{pkg: t.pkg, set: t.set, pos: !t.pos} }

// isEmpty reports a term no assignment can satisfy.
func (t term) isEmpty() bool { return t.pos && t.set.empty() }

func intersect(a, b term) term {
	switch {
	case a.pos && b.pos:
		return term{a.pkg, a.set.and(b.set), true}
	case a.pos:
		return term{a.pkg, a.set.andNot(b.set), true}
	case b.pos:
		return term{a.pkg, b.set.andNot(a.set), true}
	default:
		return term{a.pkg, a.set.or(b.set), false}
	}
}

// subset reports a ⊆ b.
func subset(a, b term) bool { return intersect(a, b.negate()).isEmpty() }

type relation int

const (
	relSatisfied relation = iota
	relContradicted
	relInconclusive
)

// relate says what knowing a (the partial solution's term for the package) implies of t.
func relate(a, t term) relation {
	if subset(a, t) {
		return relSatisfied
	}
	if intersect(a, t).isEmpty() {
		return relContradicted
	}
	return relInconclusive
}
