package installer

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
)

// wheelInfo is the part of WHEEL the installer uses.
type wheelInfo struct {
	Major, Minor  int
	RootIsPurelib bool
}

// parseWheel reads a WHEEL file (RFC 822 style "Key: value" lines).
func parseWheel(data []byte) (wheelInfo, error) {
	var wi wheelInfo
	var version, purelib string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break // end of headers
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "wheel-version":
			version = strings.TrimSpace(v)
		case "root-is-purelib":
			purelib = strings.ToLower(strings.TrimSpace(v))
		}
	}
	if version == "" {
		return wi, fmt.Errorf("WHEEL has no Wheel-Version: %w", errs.ErrInvalid)
	}
	if _, err := fmt.Sscanf(version, "%d.%d", &wi.Major, &wi.Minor); err != nil || fmt.Sprintf("%d.%d", wi.Major, wi.Minor) != version {
		return wi, fmt.Errorf("WHEEL Wheel-Version %q is not MAJOR.MINOR: %w", version, errs.ErrInvalid)
	}
	if wi.Major != 1 {
		return wi, fmt.Errorf("WHEEL Wheel-Version %s is not supported (this installer reads 1.x): %w", version, errs.ErrInvalid)
	}
	switch purelib {
	case "true":
		wi.RootIsPurelib = true
	case "false":
	case "":
		return wi, fmt.Errorf("WHEEL has no Root-Is-Purelib: %w", errs.ErrInvalid)
	default:
		return wi, fmt.Errorf("WHEEL Root-Is-Purelib %q is not true or false: %w", purelib, errs.ErrInvalid)
	}
	return wi, nil
}

// entryPoint is one console_scripts or gui_scripts line.
type entryPoint struct {
	Name   string // script name
	Module string // dotted module
	Attr   string // dotted attribute path
}

// parseScripts reads the console_scripts and gui_scripts sections of entry_points.txt.
func parseScripts(data []byte) ([]entryPoint, error) {
	var out []entryPoint
	section := ""
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("entry_points.txt line %d: bad section %q: %w", n, line, errs.ErrInvalid)
			}
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		if section != "console_scripts" && section != "gui_scripts" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("entry_points.txt line %d: %q is not name = module:attr: %w", n, line, errs.ErrInvalid)
		}
		ep := entryPoint{Name: strings.TrimSpace(k)}
		if i := strings.IndexByte(v, '['); i >= 0 { // extras: ignored
			v = v[:i]
		}
		mod, attr, ok := strings.Cut(strings.TrimSpace(v), ":")
		ep.Module, ep.Attr = strings.TrimSpace(mod), strings.TrimSpace(attr)
		if !ok || !dotted(ep.Module) || !dotted(ep.Attr) {
			return nil, fmt.Errorf("entry_points.txt line %d: %q is not name = module:attr: %w", n, line, errs.ErrInvalid)
		}
		if !validScriptName(ep.Name) {
			return nil, fmt.Errorf("entry_points.txt line %d: script name %q is not a plain file name: %w", n, ep.Name, errs.ErrInvalid)
		}
		if seen[ep.Name] {
			continue // first one wins, as in importlib.metadata
		}
		seen[ep.Name] = true
		out = append(out, ep)
	}
	return out, sc.Err()
}

func dotted(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for i, r := range part {
			ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f || (i > 0 && r >= '0' && r <= '9')
			if !ok {
				return false
			}
		}
	}
	return true
}

func validScriptName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\\x00\n\r") && !strings.HasPrefix(s, "-")
}
