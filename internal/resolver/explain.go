package resolver

import (
	"fmt"
	"strings"
)

// explain turns the derivation of a terminal incompatibility into sentences, causes
// first. A derived fact used more than once is numbered and referred to by number.
func (s *solver) explain(root *incompat) []string {
	uses := map[*incompat]int{}
	var count func(ic *incompat)
	count = func(ic *incompat) {
		uses[ic]++
		if uses[ic] > 1 || ic.kind != kindDerived {
			return
		}
		count(ic.causes[0])
		count(ic.causes[1])
	}
	count(root)

	var lines []string
	numbers := map[*incompat]int{}
	done := map[*incompat]bool{}
	next := 1
	var ref func(ic *incompat) string
	var write func(ic *incompat)
	ref = func(ic *incompat) string {
		if ic.kind != kindDerived {
			return s.external(ic)
		}
		if n, ok := numbers[ic]; ok {
			return fmt.Sprintf("%s (%d)", s.statement(ic), n)
		}
		return s.statement(ic)
	}
	write = func(ic *incompat) {
		if ic.kind != kindDerived || done[ic] {
			return
		}
		done[ic] = true
		a, b := ic.causes[0], ic.causes[1]
		write(a)
		write(b)
		ra, rb := ref(a), ref(b)
		and := " and "
		if strings.Contains(ra, " but ") || strings.Contains(rb, " but ") {
			and = ", and "
		}
		line := "Because " + ra + and + rb + ", " + s.statement(ic) + "."
		if uses[ic] > 1 {
			numbers[ic] = next
			line += fmt.Sprintf(" (%d)", next)
			next++
		}
		lines = append(lines, capitalize(line))
	}
	if root.kind != kindDerived {
		return []string{capitalize(s.external(root)) + ", so " + s.statement(root) + "."}
	}
	write(root)
	return lines
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// external describes an incompatibility that is a fact of the index or the request.
func (s *solver) external(ic *incompat) string {
	switch ic.kind {
	case kindDependency:
		who := s.termText(ic.terms[0], true)
		if ic.terms[0].pkg == rootPkg {
			who = "the request"
		}
		verb := " requires "
		if ic.terms[0].pkg == rootPkg {
			verb = " asks for "
		}
		if ic.missing {
			base, _ := splitExtra(ic.dep)
			return who + verb + ic.text + ", but " + base + " is not on " + s.where()
		}
		if len(ic.terms) == 1 {
			return who + verb + ic.text + " but no version of " + ic.dep + " matches"
		}
		return who + verb + ic.text
	case kindUnavailable:
		return s.termText(ic.terms[0], true) + " " + ic.text
	case kindConstraint:
		return "the constraint " + ic.text + " excludes " + s.termText(ic.terms[1], true)
	case kindRoot:
		return "the request must be satisfied"
	}
	return s.statement(ic)
}

// where names the index for messages.
func (s *solver) where() string {
	if l, ok := s.p.(Locator); ok {
		if w := l.Location(); w != "" {
			return w
		}
	}
	return "the index"
}

// statement says what an incompatibility forbids, in words.
func (s *solver) statement(ic *incompat) string {
	var rest []term
	hasRoot := false
	for _, t := range ic.terms {
		if t.pkg == rootPkg {
			hasRoot = hasRoot || t.pos
			continue
		}
		rest = append(rest, t)
	}
	switch {
	case len(rest) == 0:
		return s.rootText()
	case len(rest) == 1 && hasRoot && !rest[0].pos:
		return "the request needs " + s.termText(rest[0].negate(), false)
	case len(rest) == 1 && rest[0].pos:
		return s.termText(rest[0], true) + " cannot be used"
	case len(rest) == 1:
		return s.termText(rest[0].negate(), false) + " is required"
	case len(rest) == 2 && rest[0].pos != rest[1].pos:
		a, b := rest[0], rest[1]
		if !a.pos {
			a, b = b, a
		}
		return s.termText(a, true) + " requires " + s.termText(b.negate(), false)
	case len(rest) == 2 && rest[0].pos:
		return s.termText(rest[0], true) + " is incompatible with " + s.termText(rest[1], true)
	}
	parts := make([]string, len(rest))
	for i, t := range rest {
		if t.pos {
			parts[i] = s.termText(t, true)
		} else {
			parts[i] = "not " + s.termText(t.negate(), true)
		}
	}
	return "these cannot all hold: " + strings.Join(parts, ", ")
}

// rootText concludes: "app==1.0 and lib>=2 cannot be installed together".
func (s *solver) rootText() string {
	parts := make([]string, 0, len(s.req.Requirements))
	for _, r := range s.req.Requirements {
		if r.Marker.Evaluate(s.env("")) {
			parts = append(parts, reqText(r, strings.Join(r.Extras, ",")))
		}
	}
	switch len(parts) {
	case 0:
		return "the request cannot be satisfied"
	case 1:
		return parts[0] + " cannot be installed"
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1] + " cannot be installed together"
}

// termText renders a positive term as "name 1.0" / "name>=2" / "name (any version)";
// space puts a space before a bare version.
func (s *solver) termText(t term, space bool) string {
	if !t.pos {
		return "not " + s.termText(t.negate(), space)
	}
	if t.pkg == rootPkg {
		return "the request"
	}
	info := s.pkgs[t.pkg]
	if info == nil {
		return t.pkg
	}
	n := len(info.cands)
	var runs [][2]int
	for i := 0; i < n; i++ {
		if !t.set.has(i) {
			continue
		}
		j := i
		for j+1 < n && t.set.has(j+1) {
			j++
		}
		runs = append(runs, [2]int{i, j})
		i = j
	}
	v := func(i int) string { return info.cands[i].Version.String() }
	if len(runs) == 1 && runs[0][0] == runs[0][1] {
		if space {
			return t.pkg + " " + v(runs[0][0])
		}
		return t.pkg + "==" + v(runs[0][0])
	}
	if len(runs) == 1 && runs[0] == [2]int{0, n - 1} {
		return t.pkg
	}
	var parts []string
	for _, r := range runs {
		i, j := r[0], r[1]
		switch {
		case i == j:
			parts = append(parts, "=="+v(i))
		case i == 0:
			parts = append(parts, "<"+v(j+1))
		case j == n-1:
			parts = append(parts, ">="+v(i))
		default:
			parts = append(parts, ">="+v(i)+",<"+v(j+1))
		}
	}
	if len(parts) == 1 {
		return t.pkg + parts[0]
	}
	if len(parts) > 4 {
		parts = append(parts[:4], "…")
	}
	return t.pkg + " (" + strings.Join(parts, " or ") + ")"
}
