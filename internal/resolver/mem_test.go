package resolver

import (
	"context"
	"fmt"
	"sync"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/versions"
)

// memProvider is an in-memory Provider for tests.
type memProvider struct {
	mu    sync.Mutex
	cands map[string][]Candidate
	deps  map[string][]requirements.Requirement // "name==version"
	calls int
	// metaRP is the Requires-Python of a version's metadata ("name==version").
	metaRP map[string]string
	// broken lists versions whose metadata is invalid ("name==version").
	broken map[string]bool
}

func newMem() *memProvider {
	return &memProvider{cands: map[string][]Candidate{}, deps: map[string][]requirements.Requirement{},
		metaRP: map[string]string{}, broken: map[string]bool{}}
}

// add registers name==version with one universal wheel and the given Requires-Dist; it
// returns the file for the test to adjust.
func (m *memProvider) add(name, version string, deps ...string) *File {
	n := names.Normalize(name)
	v := versions.MustParse(version)
	fn := fmt.Sprintf("%s-%s-py3-none-any.whl", n, v)
	return m.addFile(n, v, File{Filename: fn, URL: "mem://" + fn, Size: -1}, deps...)
}

func (m *memProvider) addFile(n string, v versions.Version, f File, deps ...string) *File {
	for _, d := range deps {
		m.deps[n+"=="+v.String()] = append(m.deps[n+"=="+v.String()], requirements.MustParse(d))
	}
	for i := range m.cands[n] {
		if m.cands[n][i].Version.Compare(v) == 0 {
			m.cands[n][i].Files = append(m.cands[n][i].Files, f)
			return &m.cands[n][i].Files[len(m.cands[n][i].Files)-1]
		}
	}
	m.cands[n] = append(m.cands[n], Candidate{Name: n, Version: v, Files: []File{f}})
	c := &m.cands[n][len(m.cands[n])-1]
	return &c.Files[0]
}

func (m *memProvider) Candidates(_ context.Context, name string) ([]Candidate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	c, ok := m.cands[name]
	if !ok {
		return nil, fmt.Errorf("project %s: %w", name, errs.ErrNotFound)
	}
	return c, nil
}

func (m *memProvider) Dependencies(_ context.Context, c Candidate, _ File) ([]requirements.Requirement, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken[c.Name+"=="+c.Version.String()] {
		return nil, fmt.Errorf("wrapped: %w", &UnusableError{Reason: "has invalid metadata"})
	}
	return m.deps[c.Name+"=="+c.Version.String()], nil
}

func (m *memProvider) RequiresPython(_ context.Context, c Candidate, _ File) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.metaRP[c.Name+"=="+c.Version.String()], nil
}
