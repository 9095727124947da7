package envs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/versions"
)

// poetryDependencies turns poetry's [tool.poetry.dependencies] into PEP 508 requirements
// (sorted by name) and the requires-python its "python" entry gives. Optional
// dependencies (extras) are left out; path, git and url dependencies are refused, as
// are constraints with "||", which PEP 440 cannot say. Errors wrap errs.ErrInvalid.
func poetryDependencies(deps map[string]any) ([]requirements.Requirement, versions.SpecifierSet, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("[tool.poetry.dependencies] "+format+": %w", append(a, errs.ErrInvalid)...)
	}
	if len(deps) > maxSpecEntries {
		return nil, nil, bad("more than %d entries", maxSpecEntries)
	}
	keys := make([]string, 0, len(deps))
	for k := range deps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var reqs []requirements.Requirement
	var rp versions.SpecifierSet
	for _, name := range keys {
		var constraint, marker string
		var extras []string
		switch v := deps[name].(type) {
		case string:
			constraint = v
		case map[string]any:
			for _, k := range []string{"path", "git", "url", "file"} {
				if _, ok := v[k]; ok {
					return nil, nil, bad("%s is a %s dependency; pydepot resolves names against an index", name, k)
				}
			}
			if opt, _ := v["optional"].(bool); opt {
				continue
			}
			constraint, _ = v["version"].(string)
			var ms []string
			if py, ok := v["python"].(string); ok && py != "" {
				spec, err := poetryConstraint(py)
				if err != nil {
					return nil, nil, bad("%s: python %q: %v", name, py, err)
				}
				for _, c := range strings.Split(spec, ",") {
					if c != "" {
						op := strings.TrimRight(c, "0123456789.*")
						ms = append(ms, fmt.Sprintf("python_version %s %q", op, strings.TrimPrefix(c, op)))
					}
				}
			}
			if m, ok := v["markers"].(string); ok && m != "" {
				ms = append(ms, "("+m+")")
			}
			marker = strings.Join(ms, " and ")
			if xs, ok := v["extras"].([]any); ok {
				for _, x := range xs {
					if s, ok := x.(string); ok {
						extras = append(extras, s)
					}
				}
			}
		case []any:
			return nil, nil, bad("%s: several constraints (an array) are not supported; give one", name)
		default:
			return nil, nil, bad("%s: unexpected value %v", name, v)
		}
		spec, err := poetryConstraint(constraint)
		if err != nil {
			return nil, nil, bad("%s %q: %v", name, constraint, err)
		}
		if strings.EqualFold(name, "python") {
			if rp, err = versions.ParseSpecifiers(spec); err != nil {
				return nil, nil, bad("python %q: %v", constraint, err)
			}
			continue
		}
		text := name
		if len(extras) > 0 {
			text += "[" + strings.Join(extras, ",") + "]"
		}
		text += spec
		if marker != "" {
			text += "; " + marker
		}
		r, err := requirements.Parse(text)
		if err != nil {
			return nil, nil, fmt.Errorf("[tool.poetry.dependencies] %s: %w", name, err)
		}
		reqs = append(reqs, r)
	}
	return reqs, rp, nil
}

// poetryConstraint converts one poetry version constraint ("^1.2", "~1.2.3", "1.2.*",
// ">=1,<2", ">= 1 < 2", "1.2.3", "*") into PEP 440 specifiers joined by commas ("" for
// any version).
func poetryConstraint(c string) (string, error) {
	c = strings.TrimSpace(c)
	if strings.Contains(c, "||") || strings.Contains(c, " | ") {
		return "", fmt.Errorf(`"||" (either constraint) has no PEP 440 equivalent`)
	}
	if c == "" || c == "*" {
		return "", nil
	}
	// Clauses are separated by commas or by spaces between complete clauses.
	var clauses []string
	for _, part := range strings.Split(c, ",") {
		fields := strings.Fields(part)
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			if strings.Trim(f, "<>=!~^") == "" && i+1 < len(fields) { // ">= 1.2"
				f += fields[i+1]
				i++
			}
			clauses = append(clauses, f)
		}
	}
	var out []string
	for _, cl := range clauses {
		conv, err := poetryClause(cl)
		if err != nil {
			return "", err
		}
		out = append(out, conv...)
	}
	return strings.Join(out, ","), nil
}

func poetryClause(cl string) ([]string, error) {
	switch {
	case cl == "*":
		return nil, nil
	case strings.HasPrefix(cl, "^"):
		v := strings.TrimPrefix(cl, "^")
		parts, err := releaseParts(v)
		if err != nil {
			return nil, err
		}
		// bump the first non-zero component (the last one when all are zero)
		i := 0
		for i < len(parts)-1 && parts[i] == 0 {
			i++
		}
		return []string{">=" + v, "<" + bump(parts, i)}, nil
	case strings.HasPrefix(cl, "~") && !strings.HasPrefix(cl, "~="):
		v := strings.TrimPrefix(cl, "~")
		parts, err := releaseParts(v)
		if err != nil {
			return nil, err
		}
		i := 1
		if len(parts) == 1 {
			i = 0
		}
		return []string{">=" + v, "<" + bump(parts, i)}, nil
	case strings.HasPrefix(cl, "=") && !strings.HasPrefix(cl, "=="):
		return []string{"=" + cl}, nil
	case cl[0] >= '0' && cl[0] <= '9':
		return []string{"==" + cl}, nil
	}
	if _, err := versions.ParseSpecifier(cl); err != nil {
		return nil, err
	}
	return []string{cl}, nil
}

// releaseParts parses the numeric release of v ("1.2.3" → 1, 2, 3).
func releaseParts(v string) ([]int, error) {
	if _, err := versions.Parse(v); err != nil {
		return nil, err
	}
	var out []int
	for _, p := range strings.Split(v, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			break // a pre-release or other suffix ends the release part
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("version %q has no release number", v)
	}
	return out, nil
}

// bump increments component i and drops the rest: bump([1 2 3], 1) = "1.3".
func bump(parts []int, i int) string {
	s := make([]string, i+1)
	for j := 0; j < i; j++ {
		s[j] = strconv.Itoa(parts[j])
	}
	s[i] = strconv.Itoa(parts[i] + 1)
	return strings.Join(s, ".")
}
