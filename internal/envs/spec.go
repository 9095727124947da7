package envs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/pylock"
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
	// Modules are the import names of the cctools JSON ("modules"). When the JSON has no
	// "requirements" (ModulesOnly), Create drops the target's standard library and maps
	// the others to distributions as pydepot analyze does; otherwise Create only reports
	// a disagreement between the two lists.
	Modules     []string
	ModulesOnly bool
	// IndexURL is a requirements.txt's --index-url ("" = the default index);
	// ExtraIndexURLs its --extra-index-url values; NoIndex its --no-index.
	IndexURL       string
	ExtraIndexURLs []string
	NoIndex        bool
	// FindLinks are local folders of distribution files (--find-links DIR), absolute.
	FindLinks []string
	Pre       bool
	// Hashes, when not nil, turns on pip's hash-checking mode: every requirement is
	// pinned with == and hashed, every file installed (dependencies included) must be
	// listed and match one of its digests ("sha256:hex"), keyed by normalized name.
	Hashes map[string][]string
	// Binary is the requirements.txt's --only-binary / --no-binary.
	Binary requirements.FormatControl
	// Lock, for a pylock.toml spec, is installed exactly: no resolution.
	Lock *pylock.Lock
	// Notes are warnings about the spec (options without effect) for Create to log.
	Notes []string
}

// IndexURLs returns the spec's own index URLs: IndexURL then the extra ones ("" IndexURL
// is left out: the caller's default comes first).
func (s *Spec) IndexURLs() []string {
	var out []string
	if s.IndexURL != "" {
		out = append(out, s.IndexURL)
	}
	return append(out, s.ExtraIndexURLs...)
}

// analyzeJSON is the part of pydepot analyze's output (and the cctools JSON) create reads.
type analyzeJSON struct {
	Python       *string   `json:"python"`
	Modules      *[]string `json:"modules"`
	Requirements *[]string `json:"requirements"`
}

type pyproject struct {
	Project *struct {
		Name           string    `toml:"name"`
		RequiresPython string    `toml:"requires-python"`
		Dependencies   *[]string `toml:"dependencies"`
	} `toml:"project"`
	Tool struct {
		Poetry struct {
			Dependencies map[string]any `toml:"dependencies"`
		} `toml:"poetry"`
	} `toml:"tool"`
}

// maxSpecEntries bounds the requirements or modules of one spec.
const maxSpecEntries = 10000

// ReadSpec reads a SPEC file, by kind:
//
//   - the JSON of pydepot analyze or of cctools' python_package_analyze: "python",
//     "requirements" (distributions) and "modules" (import names, used when there is no
//     "requirements": see Spec.Modules);
//   - a PEP 751 lock (pylock.toml, pylock.NAME.toml), installed exactly;
//   - a pyproject.toml: PEP 621 [project] dependencies and requires-python, else poetry's
//     [tool.poetry.dependencies] (its "python" entry is the requires-python);
//   - a requirements.txt (anything else; -r and -c includes and --find-links folders are
//     read relative to it).
//
// A spec that names nothing to install (`{}`, an empty requirements.txt, a
// pyproject.toml without dependencies) is refused. name is used for messages and to
// pick the kind ("-" is stdin, read by the caller into data). Errors wrap
// errs.ErrInvalid.
func ReadSpec(name string, data []byte) (*Spec, error) {
	s := &Spec{Source: name}
	trimmed := bytes.TrimSpace(data)
	base := filepath.Base(name)
	bad := func(format string, a ...any) error {
		return fmt.Errorf("spec %s: "+format+": %w", append([]any{name}, append(a, errs.ErrInvalid)...)...)
	}
	switch {
	case strings.HasSuffix(base, ".json") || bytes.HasPrefix(trimmed, []byte("{")):
		var a analyzeJSON
		if err := json.Unmarshal(trimmed, &a); err != nil {
			return nil, bad("bad JSON: %v", err)
		}
		unknown := unknownJSONKeys(trimmed)
		if a.Python == nil && a.Modules == nil && a.Requirements == nil {
			if len(unknown) > 0 {
				return nil, bad(`names nothing to install: want "python", "modules" (import names) or "requirements" (distributions), as written by pydepot analyze; not read: %s`, strings.Join(unknown, ", "))
			}
			return nil, bad(`names nothing to install: want "python", "modules" (import names) or "requirements" (distributions), as written by pydepot analyze`)
		}
		for _, k := range unknown {
			s.Notes = append(s.Notes, fmt.Sprintf(`key %q is not read (create reads "python", "modules" and "requirements")`, k))
		}
		if a.Python != nil {
			s.Python = strings.TrimSpace(*a.Python)
		}
		if a.Modules != nil {
			if len(*a.Modules) > maxSpecEntries {
				return nil, bad("more than %d modules", maxSpecEntries)
			}
			for _, m := range *a.Modules {
				if m = strings.TrimSpace(m); !validModule(m) {
					return nil, bad("module %q is not an import name", m)
				}
				s.Modules = append(s.Modules, strings.TrimSpace(m))
			}
		}
		if a.Requirements == nil {
			s.ModulesOnly = a.Modules != nil
			break
		}
		if len(*a.Requirements) > maxSpecEntries {
			return nil, bad("more than %d requirements", maxSpecEntries)
		}
		for _, r := range *a.Requirements {
			req, err := requirements.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("spec %s: requirement %q: %w", name, r, err)
			}
			s.Requirements = append(s.Requirements, req)
		}
	case base == "pylock.toml" || strings.HasPrefix(base, "pylock.") && strings.HasSuffix(base, ".toml"):
		l, err := pylock.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("spec %s: %w", name, err)
		}
		if len(l.Packages) == 0 {
			return nil, bad("the lock lists no packages")
		}
		s.Lock = l
		if t, ok := l.Tool["pydepot"].(map[string]any); ok {
			s.Python, _ = t["python"].(string)
		}
		if s.Python == "" && l.RequiresPython != "" {
			ss, err := versions.ParseSpecifiers(l.RequiresPython)
			if err != nil {
				return nil, fmt.Errorf("spec %s: requires-python: %w", name, err)
			}
			s.RequiresPython = ss
		}
	case strings.HasSuffix(base, ".toml"):
		if err := readPyproject(s, data); err != nil {
			return nil, fmt.Errorf("spec %s: %w", name, err)
		}
	default:
		// ParseFile names includes relative to the including file already
		f, err := requirements.ParseFile(name, data, os.ReadFile)
		if err != nil {
			return nil, fmt.Errorf("spec %s: %w", name, err)
		}
		if err := fromRequirementsFile(s, f); err != nil {
			return nil, err
		}
	}
	for _, r := range s.Requirements {
		if r.URL != "" {
			return nil, bad("%s is a direct URL requirement; pydepot resolves names against an index", r.Name)
		}
	}
	return s, nil
}

// analyzeKeys are the keys pydepot analyze writes; create reads three of them.
var analyzeKeys = map[string]bool{
	"python": true, "modules": true, "requirements": true,
	"optional": true, "unresolved": true, "candidates": true, "sources": true, "local": true,
}

// unknownJSONKeys returns, sorted, the top-level keys of a JSON object that pydepot
// analyze does not write ("modlues"): a typo there would otherwise give an environment
// without the packages it names.
func unknownJSONKeys(data []byte) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	var out []string
	for k := range m {
		if !analyzeKeys[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func readPyproject(s *Spec, data []byte) error {
	var p pyproject
	if _, err := toml.Decode(string(data), &p); err != nil {
		return fmt.Errorf("bad TOML: %v: %w", err, errs.ErrInvalid)
	}
	if p.Project != nil && p.Project.RequiresPython != "" {
		ss, err := versions.ParseSpecifiers(p.Project.RequiresPython)
		if err != nil {
			return fmt.Errorf("requires-python: %w", err)
		}
		s.RequiresPython = ss
	}
	if p.Project != nil && p.Project.Dependencies != nil && len(*p.Project.Dependencies) > 0 {
		for _, r := range *p.Project.Dependencies {
			req, err := requirements.Parse(r)
			if err != nil {
				return fmt.Errorf("dependency %q: %w", r, err)
			}
			s.Requirements = append(s.Requirements, req)
		}
		if len(p.Tool.Poetry.Dependencies) > 0 {
			s.Notes = append(s.Notes, "[project] dependencies are used; [tool.poetry.dependencies] is not read")
		}
		return nil
	}
	if len(p.Tool.Poetry.Dependencies) > 0 {
		reqs, rp, err := poetryDependencies(p.Tool.Poetry.Dependencies)
		if err != nil {
			return err
		}
		s.Requirements = reqs
		if len(rp) > 0 && len(s.RequiresPython) == 0 {
			s.RequiresPython = rp
		}
		if len(reqs) > 0 {
			return nil
		}
	}
	return fmt.Errorf("names nothing to install: no [project] dependencies and no [tool.poetry.dependencies] besides python: %w", errs.ErrInvalid)
}

func fromRequirementsFile(s *Spec, f *requirements.File) error {
	name := s.Source
	s.Requirements, s.Constraints, s.Pre = f.Requirements, f.Constraints, f.Pre
	s.IndexURL, s.ExtraIndexURLs, s.NoIndex = f.IndexURL, f.ExtraIndexURLs, f.NoIndex
	s.Binary = f.Binary
	for _, ig := range f.Ignored {
		s.Notes = append(s.Notes, "option without effect in pydepot, ignored: "+ig)
	}
	if f.PreferBinary {
		return fmt.Errorf("spec %s: --prefer-binary is not supported: pydepot picks the newest version that fits and prefers its wheel; use --only-binary NAME (or :all:) to refuse sdists: %w", name, errs.ErrInvalid)
	}
	for _, fl := range f.FindLinks {
		if strings.Contains(fl, "://") && !strings.HasPrefix(fl, "file://") {
			return fmt.Errorf("spec %s: --find-links %s: only a local folder of distribution files is supported: %w", name, fl, errs.ErrInvalid)
		}
		dir := strings.TrimPrefix(fl, "file://")
		if !filepath.IsAbs(dir) && name != "-" {
			// as pip: relative to the requirements file when it exists there
			if rel := filepath.Join(filepath.Dir(name), dir); dirExists(rel) {
				dir = rel
			}
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		if !dirExists(abs) {
			return fmt.Errorf("spec %s: --find-links %s: no such folder: %w", name, fl, errs.ErrNotFound)
		}
		s.FindLinks = append(s.FindLinks, abs)
	}
	if s.NoIndex && len(s.FindLinks) == 0 {
		return fmt.Errorf("spec %s: --no-index without --find-links leaves nowhere to find packages: %w", name, errs.ErrInvalid)
	}
	if f.RequireHashes {
		s.Hashes = map[string][]string{}
		for _, r := range s.Requirements {
			n := r.NormalizedName()
			if !pinnedExactly(r) {
				return fmt.Errorf("spec %s: hash-checking mode (--hash or --require-hashes): %s is not pinned with ==; every requirement must be, as pip requires: %w", name, r, errs.ErrInvalid)
			}
			if len(f.Hashes[n]) == 0 {
				return fmt.Errorf("spec %s: hash-checking mode (--hash or --require-hashes): %s has no --hash: %w", name, r, errs.ErrInvalid)
			}
			for _, h := range f.Hashes[n] {
				if err := requirements.CheckHash(h); err != nil {
					return fmt.Errorf("spec %s: %s: %w", name, r.Name, err)
				}
			}
			s.Hashes[n] = f.Hashes[n]
		}
	}
	if len(s.Requirements) == 0 {
		return fmt.Errorf("spec %s: names nothing to install (no requirement lines): %w", name, errs.ErrInvalid)
	}
	return nil
}

// pinnedExactly reports a requirement with a single == (or ===) clause without wildcard.
func pinnedExactly(r requirements.Requirement) bool {
	if len(r.Specifiers) != 1 {
		return false
	}
	sp := r.Specifiers[0].String()
	return (strings.HasPrefix(sp, "==") || strings.HasPrefix(sp, "===")) && !strings.HasSuffix(sp, ".*")
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// validModule reports a dotted Python identifier (ASCII letters, digits, underscores).
func validModule(m string) bool {
	if m == "" || len(m) > 200 {
		return false
	}
	for _, p := range strings.Split(m, ".") {
		if p == "" || p[0] >= '0' && p[0] <= '9' {
			return false
		}
		for _, c := range p {
			if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c > 127) {
				return false
			}
		}
	}
	return true
}
