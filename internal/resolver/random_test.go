package resolver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/versions"
)

// randomIndex is a small random index: packages p0..pN-1 with versions 1..V, random
// dependencies and some versions unusable (requires-python excluding the target).
type randomIndex struct {
	pkgs     int
	versions int
	deps     map[[2]int][]requirements.Requirement // (pkg, version) -> deps
	badPy    map[[2]int]bool
	root     []requirements.Requirement
}

func randomSpec(r *rand.Rand, nv int) string {
	n := r.IntN(nv) + 1
	switch r.IntN(6) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(">=%d", n)
	case 2:
		return fmt.Sprintf("<%d", n+1)
	case 3:
		return fmt.Sprintf("==%d", n)
	case 4:
		return fmt.Sprintf("!=%d", n)
	default:
		return fmt.Sprintf(">=%d,<%d", n, n+2)
	}
}

func newRandomIndex(r *rand.Rand) *randomIndex {
	ix := &randomIndex{pkgs: 3 + r.IntN(4), versions: 1 + r.IntN(3), deps: map[[2]int][]requirements.Requirement{}, badPy: map[[2]int]bool{}}
	for p := range ix.pkgs {
		for v := 1; v <= ix.versions; v++ {
			ix.badPy[[2]int{p, v}] = r.IntN(8) == 0
			for range r.IntN(3) {
				q := r.IntN(ix.pkgs)
				if q == p {
					continue
				}
				ix.deps[[2]int{p, v}] = append(ix.deps[[2]int{p, v}], requirements.MustParse(fmt.Sprintf("p%d%s", q, randomSpec(r, ix.versions))))
			}
		}
	}
	for range 1 + r.IntN(2) {
		ix.root = append(ix.root, requirements.MustParse(fmt.Sprintf("p%d%s", r.IntN(ix.pkgs), randomSpec(r, ix.versions))))
	}
	return ix
}

func (ix *randomIndex) provider() *memProvider {
	m := newMem()
	for p := range ix.pkgs {
		for v := 1; v <= ix.versions; v++ {
			var deps []string
			for _, d := range ix.deps[[2]int{p, v}] {
				deps = append(deps, d.String())
			}
			f := m.add(fmt.Sprintf("p%d", p), fmt.Sprint(v), deps...)
			if ix.badPy[[2]int{p, v}] {
				f.RequiresPython = ">=4"
			}
		}
	}
	return m
}

// satisfied checks a selection (version per package, 0 = not selected).
func (ix *randomIndex) satisfied(sel []int) bool {
	ok := func(reqs []requirements.Requirement) bool {
		for _, r := range reqs {
			var q int
			fmt.Sscanf(r.Name, "p%d", &q)
			if sel[q] == 0 || !r.Specifiers.Contains(versions.MustParse(fmt.Sprint(sel[q])), true) {
				return false
			}
		}
		return true
	}
	if !ok(ix.root) {
		return false
	}
	for p, v := range sel {
		if v != 0 && (ix.badPy[[2]int{p, v}] || !ok(ix.deps[[2]int{p, v}])) {
			return false
		}
	}
	return true
}

// bruteForce reports whether any selection satisfies the index.
func (ix *randomIndex) bruteForce() bool {
	sel := make([]int, ix.pkgs)
	var try func(i int) bool
	try = func(i int) bool {
		if i == ix.pkgs {
			return ix.satisfied(sel)
		}
		for v := 0; v <= ix.versions; v++ {
			sel[i] = v
			if try(i + 1) {
				return true
			}
		}
		return false
	}
	return try(0)
}

// TestResolveRandomAgainstBruteForce checks the solver on thousands of random small
// indexes: it must find a valid solution exactly when one exists.
func TestResolveRandomAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	solvable, conflicts := 0, 0
	for i := range 3000 {
		ix := newRandomIndex(r)
		var roots []string
		for _, q := range ix.root {
			roots = append(roots, q.String())
		}
		res, err := Resolve(context.Background(), ix.provider(), baseRequest(roots...))
		want := ix.bruteForce()
		var ce *ConflictError
		switch {
		case err != nil && !errors.As(err, &ce):
			t.Fatalf("case %d: %v", i, err)
		case want && err != nil:
			t.Fatalf("case %d (%v): solvable but Resolve says\n%v", i, roots, err)
		case !want && err == nil:
			t.Fatalf("case %d (%v): unsolvable but Resolve gave %s", i, roots, pins(res))
		case err == nil:
			sel := make([]int, ix.pkgs)
			for _, p := range res.Pins {
				var q int
				fmt.Sscanf(p.Name, "p%d", &q)
				sel[q] = p.Version.Release()[0]
			}
			if !ix.satisfied(sel) {
				t.Fatalf("case %d (%v): invalid solution %s", i, roots, pins(res))
			}
			solvable++
		default:
			if len(ce.Lines) == 0 || !strings.Contains(ce.Error(), "cannot be installed") {
				t.Fatalf("case %d: explanation without a conclusion:\n%v", i, ce)
			}
			conflicts++
		}
	}
	t.Logf("%d solvable, %d unsolvable", solvable, conflicts)
}
