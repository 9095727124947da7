package builder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pydepot/pydepot/internal/errs"
)

// BuildSystem is the [build-system] table of pyproject.toml, defaults applied.
type BuildSystem struct {
	Requires    []string // PEP 508 requirements
	Backend     string   // "module:object"
	BackendPath []string // relative to the source tree
}

// ReadBuildSystem reads tree/pyproject.toml. A missing file or a missing [build-system]
// table gives the legacy setuptools backend with requires ["setuptools>=40.8.0"]; a table
// without build-backend keeps its requires and uses the legacy backend. A table without
// requires, a malformed file, or a backend-path leaving the tree is an error wrapping
// errs.ErrInvalid.
func ReadBuildSystem(tree string) (BuildSystem, error) {
	def := BuildSystem{Requires: append([]string(nil), defaultRequires...), Backend: defaultBackend}
	data, err := os.ReadFile(filepath.Join(tree, "pyproject.toml"))
	if errors.Is(err, os.ErrNotExist) {
		return def, nil
	}
	if err != nil {
		return BuildSystem{}, err
	}
	var doc struct {
		BuildSystem *struct {
			Requires    *[]string `toml:"requires"`
			Backend     string    `toml:"build-backend"`
			BackendPath []string  `toml:"backend-path"`
		} `toml:"build-system"`
	}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return BuildSystem{}, fmt.Errorf("pyproject.toml: %v: %w", err, errs.ErrInvalid)
	}
	if doc.BuildSystem == nil {
		return def, nil
	}
	if doc.BuildSystem.Requires == nil {
		return BuildSystem{}, fmt.Errorf("pyproject.toml: [build-system] has no requires (PEP 518): %w", errs.ErrInvalid)
	}
	bs := BuildSystem{Requires: *doc.BuildSystem.Requires, Backend: strings.TrimSpace(doc.BuildSystem.Backend), BackendPath: doc.BuildSystem.BackendPath}
	if bs.Backend == "" {
		bs.Backend = defaultBackend
	}
	for _, p := range bs.BackendPath {
		abs := filepath.Join(tree, p)
		if filepath.IsAbs(p) || (abs != tree && !strings.HasPrefix(abs, tree+string(filepath.Separator))) {
			return BuildSystem{}, fmt.Errorf("pyproject.toml: backend-path %q leaves the source tree: %w", p, errs.ErrInvalid)
		}
	}
	return bs, nil
}
