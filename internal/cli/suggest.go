package cli

import (
	"slices"
	"strings"
)

// closest returns the candidates nearest to typed: those within two edits of it (one for
// names of three letters or fewer), or of which it is a prefix, nearest first. typed is
// cut to 64 bytes, so the work stays bounded whatever was typed.
func closest(typed string, candidates []string) []string {
	typed = strings.ToLower(typed)
	if len(typed) > 64 {
		typed = typed[:64]
	}
	maxDist := 2
	if len(typed) <= 3 {
		maxDist = 1
	}
	type hit struct {
		name string
		d    int
	}
	var hits []hit
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		d := editDistance(typed, strings.ToLower(c))
		if typed != "" && strings.HasPrefix(strings.ToLower(c), typed) {
			d = min(d, 1)
		}
		if d <= maxDist {
			hits = append(hits, hit{c, d})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.name
	}
	return out
}

// editDistance is the Levenshtein distance (an adjacent swap counts as one edit, as
// people make them), in O(len(a)*len(b)) time and O(len(b)) space.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
