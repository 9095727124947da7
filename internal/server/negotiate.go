package server

import (
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/simplejson"
)

// Media types of the simple repository API.
const (
	mediaJSONv1     = simplejson.ContentType
	mediaJSONLatest = "application/vnd.pypi.simple.latest+json"
	mediaHTMLv1     = "application/vnd.pypi.simple.v1+html"
	mediaHTMLLatest = "application/vnd.pypi.simple.latest+html"
	mediaTextHTML   = "text/html"
)

// offer is one representation the server can give; resp is the Content-Type answered.
type offer struct {
	media string
	resp  string
	json  bool
	hdr   []string // resp as a header value, shared read-only
}

// offers in the server's order of preference when a client rates several equally.
var offers = [...]offer{
	{mediaJSONv1, mediaJSONv1, true, []string{mediaJSONv1}},
	{mediaJSONLatest, mediaJSONv1, true, []string{mediaJSONv1}},
	{mediaHTMLv1, mediaHTMLv1, false, []string{mediaHTMLv1}},
	{mediaHTMLLatest, mediaHTMLv1, false, []string{mediaHTMLv1}},
	{mediaTextHTML, "text/html; charset=utf-8", false, []string{"text/html; charset=utf-8"}},
}

// textHTML is the answer to a client that states no preference.
var textHTML = offers[4]

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, sub string
	q        int // quality in thousandths, 0..1000
}

// parseAccept parses an Accept header leniently: malformed elements are skipped.
func parseAccept(h string) []mediaRange {
	var out []mediaRange
	for part := range strings.SplitSeq(h, ",") {
		params := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(params[0]))
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || typ == "" || sub == "" || strings.ContainsAny(mt, " \t") || (typ == "*" && sub != "*") {
			continue
		}
		mr := mediaRange{typ: typ, sub: sub, q: 1000}
		for _, p := range params[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				mr.q = parseQ(strings.TrimSpace(v))
			}
		}
		out = append(out, mr)
	}
	return out
}

// parseQ parses a qvalue ("0", "0.5", "1.000"); a malformed one counts as 0.
func parseQ(v string) int {
	if v == "" || len(v) > 5 {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1 {
		return 0
	}
	return int(f*1000 + 0.5)
}

// match returns the quality and specificity (3 exact, 2 type/*, 1 */*) that ranges give
// media, or q=-1 when no range mentions it.
func match(ranges []mediaRange, media string) (q, spec int) {
	typ, sub, _ := strings.Cut(media, "/")
	q, spec = -1, 0
	for _, r := range ranges {
		s := 0
		switch {
		case r.typ == typ && r.sub == sub:
			s = 3
		case r.typ == typ && r.sub == "*":
			s = 2
		case r.typ == "*" && r.sub == "*":
			s = 1
		default:
			continue
		}
		if s > spec {
			q, spec = r.q, s
		}
	}
	return q, spec
}

// negotiate chooses the representation for an Accept header; ok is false when nothing the
// server offers is acceptable (406). An absent header means text/html.
func negotiate(accept string) (offer, bool) {
	if strings.TrimSpace(accept) == "" {
		return textHTML, true
	}
	ranges := parseAccept(accept)
	if len(ranges) == 0 {
		return textHTML, true
	}
	best, bestQ, bestSpec := -1, 0, 0
	for i, o := range offers {
		q, spec := match(ranges, o.media)
		if q <= 0 {
			continue
		}
		if best < 0 || q > bestQ || (q == bestQ && spec > bestSpec) {
			best, bestQ, bestSpec = i, q, spec
		}
	}
	if best < 0 {
		return offer{}, false
	}
	if bestSpec < 3 {
		// Only wildcards matched: a browser or a tool that accepts anything gets HTML,
		// unless its wildcard is application/* (then JSON, the first application type).
		if q, spec := match(ranges, mediaTextHTML); q == bestQ && spec == bestSpec {
			return textHTML, true
		}
	}
	return offers[best], true
}

// formatOverride reads the ?format= query override: a media type from the list, or the
// shorthands "json" and "html". ok is false for a value it does not know.
func formatOverride(v string) (offer, bool) {
	switch strings.ToLower(v) {
	case "json":
		return offers[0], true
	case "html":
		return textHTML, true
	}
	for _, o := range offers {
		if strings.EqualFold(v, o.media) {
			return o, true
		}
	}
	return offer{}, false
}
