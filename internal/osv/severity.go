package osv

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/pydepot/pydepot/internal/checkreport"
)

// severityOf gives a record's level, from the first source that has one:
//   - a MAL- record (OSV's malicious packages) is high: the package itself is the attack;
//   - the database's own level (database_specific.severity of the record or of an affected
//     entry: GitHub's CRITICAL, HIGH, MODERATE, LOW);
//   - a CVSS v3 base vector (severity[].score of type CVSS_V3), scored as CVSS 3.1 does.
//
// It returns "" when none says anything; the vulns step then uses medium.
func severityOf(id string, specs []json.RawMessage, sevs [][]rawSeverity) checkreport.Severity {
	if strings.HasPrefix(id, "MAL-") {
		return checkreport.High
	}
	for _, raw := range specs {
		var spec struct {
			Severity any `json:"severity"`
		}
		if len(raw) == 0 || json.Unmarshal(raw, &spec) != nil {
			continue
		}
		if s, ok := spec.Severity.(string); ok {
			if l := level(s); l != "" {
				return l
			}
		}
	}
	for _, list := range sevs {
		for _, s := range list {
			if s.Type != "CVSS_V3" {
				continue
			}
			if score, ok := cvss3(s.Score); ok {
				return fromScore(score)
			}
		}
	}
	return ""
}

// level maps a database's word to a severity.
func level(s string) checkreport.Severity {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CRITICAL", "HIGH":
		return checkreport.High
	case "MODERATE", "MEDIUM":
		return checkreport.Medium
	case "LOW":
		return checkreport.Low
	case "NONE", "INFO", "INFORMATIONAL":
		return checkreport.Info
	}
	return ""
}

// fromScore maps a CVSS score to a level as CVSS's qualitative scale does (critical is
// high here).
func fromScore(score float64) checkreport.Severity {
	switch {
	case score >= 7:
		return checkreport.High
	case score >= 4:
		return checkreport.Medium
	case score > 0:
		return checkreport.Low
	}
	return checkreport.Info
}

// cvss3 computes the CVSS 3.x base score of a vector ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").
// ok is false when a base metric is missing or unknown.
func cvss3(vector string) (float64, bool) {
	parts := strings.Split(vector, "/")
	if len(parts) < 9 || len(parts) > 40 || !strings.HasPrefix(parts[0], "CVSS:3.") {
		return 0, false
	}
	m := make(map[string]string, len(parts))
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok {
			return 0, false
		}
		m[k] = v
	}
	weights := map[string]map[string]float64{
		"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
		"AC": {"L": 0.77, "H": 0.44},
		"UI": {"N": 0.85, "R": 0.62},
		"C":  {"H": 0.56, "L": 0.22, "N": 0},
		"I":  {"H": 0.56, "L": 0.22, "N": 0},
		"A":  {"H": 0.56, "L": 0.22, "N": 0},
	}
	w := map[string]float64{}
	for k, vals := range weights {
		x, ok := vals[m[k]]
		if !ok {
			return 0, false
		}
		w[k] = x
	}
	changed := false
	switch m["S"] {
	case "U":
	case "C":
		changed = true
	default:
		return 0, false
	}
	pr := map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}
	if changed {
		pr = map[string]float64{"N": 0.85, "L": 0.68, "H": 0.5}
	}
	prw, ok := pr[m["PR"]]
	if !ok {
		return 0, false
	}
	iss := 1 - (1-w["C"])*(1-w["I"])*(1-w["A"])
	impact := 6.42 * iss
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	if impact <= 0 {
		return 0, true
	}
	expl := 8.22 * w["AV"] * w["AC"] * prw * w["UI"]
	if changed {
		return roundUp(math.Min(1.08*(impact+expl), 10)), true
	}
	return roundUp(math.Min(impact+expl, 10)), true
}

// roundUp is CVSS 3.1's Roundup: the smallest number of one decimal at or above x.
func roundUp(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}
