package envs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/versions"
)

// Spec is what an environment must hold, read from a SPEC file.
type Spec struct {
	Source         string // the file it came from
	Python         string // interpreter version asked for ("3.11.7"), "" when the spec names none
	RequiresPython versions.SpecifierSet
	Requirements   []requirements.Requirement
	Constraints    []requirements.Requirement
	IndexURLs      []string // from a requirements.txt's --index-url / --extra-index-url
	Pre            bool
}

// analyzeJSON is the part of pydepot analyze's output (and the cctools JSON) create reads.
type analyzeJSON struct {
	Python       string    `json:"python"`
	Modules      []string  `json:"modules"`
	Requirements *[]string `json:"requirements"`
}

type pyproject struct {
	Project struct {
		Name           string   `toml:"name"`
		RequiresPython string   `toml:"requires-python"`
		Dependencies   []string `toml:"dependencies"`
	} `toml:"project"`
}

// ReadSpec reads a SPEC file: the JSON of pydepot analyze (its "requirements", else its
// "modules" taken as distribution names), a pyproject.toml ([project] dependencies and
// requires-python) or a requirements.txt (anything else; -r and -c includes are read
// relative to it). name is used for messages and to pick the kind ("-" is stdin, read
// by the caller into data). Errors wrap errs.ErrInvalid.
func ReadSpec(name string, data []byte) (*Spec, error) {
	s := &Spec{Source: name}
	trimmed := bytes.TrimSpace(data)
	base := filepath.Base(name)
	switch {
	case strings.HasSuffix(base, ".json") || bytes.HasPrefix(trimmed, []byte("{")):
		var a analyzeJSON
		if err := json.Unmarshal(trimmed, &a); err != nil {
			return nil, fmt.Errorf("spec %s: bad JSON: %v: %w", name, err, errs.ErrInvalid)
		}
		s.Python = strings.TrimSpace(a.Python)
		list := a.Modules
		if a.Requirements != nil {
			list = *a.Requirements
		}
		for _, r := range list {
			req, err := requirements.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("spec %s: requirement %q: %w", name, r, err)
			}
			s.Requirements = append(s.Requirements, req)
		}
	case strings.HasSuffix(base, ".toml"):
		var p pyproject
		if _, err := toml.Decode(string(data), &p); err != nil {
			return nil, fmt.Errorf("spec %s: bad TOML: %v: %w", name, err, errs.ErrInvalid)
		}
		if p.Project.RequiresPython != "" {
			ss, err := versions.ParseSpecifiers(p.Project.RequiresPython)
			if err != nil {
				return nil, fmt.Errorf("spec %s: requires-python: %w", name, err)
			}
			s.RequiresPython = ss
		}
		for _, r := range p.Project.Dependencies {
			req, err := requirements.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("spec %s: dependency %q: %w", name, r, err)
			}
			s.Requirements = append(s.Requirements, req)
		}
	default:
		// ParseFile names includes relative to the including file already
		f, err := requirements.ParseFile(name, data, os.ReadFile)
		if err != nil {
			return nil, fmt.Errorf("spec %s: %w", name, err)
		}
		s.Requirements, s.Constraints, s.IndexURLs, s.Pre = f.Requirements, f.Constraints, f.IndexURLs, f.Pre
	}
	for _, r := range s.Requirements {
		if r.URL != "" {
			return nil, fmt.Errorf("spec %s: %s is a direct URL requirement; pydepot resolves names against an index: %w", name, r.Name, errs.ErrInvalid)
		}
	}
	return s, nil
}
