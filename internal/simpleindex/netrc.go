package simpleindex

import "strings"

type netrcEntry struct {
	machine  string // "" for default
	login    string
	password string
}

// parseNetrc reads the machine/default/login/password tokens of a netrc file; macdef
// bodies (up to a blank line) and account tokens are skipped.
func parseNetrc(data string) []netrcEntry {
	var out []netrcEntry
	var cur *netrcEntry
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Fields(line)
		for j := 0; j < len(f); j++ {
			arg := func() string {
				if j+1 < len(f) {
					j++
					return f[j]
				}
				return ""
			}
			switch f[j] {
			case "machine":
				out = append(out, netrcEntry{machine: arg()})
				cur = &out[len(out)-1]
			case "default":
				out = append(out, netrcEntry{})
				cur = &out[len(out)-1]
			case "login":
				if v := arg(); cur != nil {
					cur.login = v
				}
			case "password":
				if v := arg(); cur != nil {
					cur.password = v
				}
			case "account":
				arg()
			case "macdef":
				for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
					i++
				}
				j = len(f)
			}
		}
	}
	return out
}

func netrcLookup(entries []netrcEntry, host string) (string, string, bool) {
	for _, e := range entries {
		if e.machine == host {
			return e.login, e.password, true
		}
	}
	for _, e := range entries {
		if e.machine == "" {
			return e.login, e.password, true
		}
	}
	return "", "", false
}
