package analyze

import (
	_ "embed"
	"strings"
)

//go:embed data/mapping.txt
var mappingData string

// Table is the built-in map from import names to distributions, and the namespace
// roots whose submodules are separate distributions.
type Table struct {
	dists      map[string]string
	namespaces map[string]bool
}

// BuiltinTable parses the embedded data/mapping.txt.
func BuiltinTable() *Table {
	t := &Table{dists: map[string]string{}, namespaces: map[string]bool{}}
	for _, line := range strings.Split(mappingData, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if ns, ok := strings.CutPrefix(line, "namespace "); ok {
			t.namespaces[strings.TrimSpace(ns)] = true
			continue
		}
		if imp, dist, ok := strings.Cut(line, "="); ok {
			t.dists[strings.TrimSpace(imp)] = strings.TrimSpace(dist)
		}
	}
	return t
}

// Lookup returns the distribution of an import key (a top-level name or a dotted
// namespace key). A dotted key missing from the table takes the default of the
// longest namespace root above it that has one ("mpl_toolkits.* = matplotlib":
// mpl_toolkits.mplot3d -> matplotlib, poetry.console -> poetry).
func (t *Table) Lookup(key string) (string, bool) {
	if d, ok := t.dists[key]; ok {
		return d, true
	}
	for i := strings.LastIndexByte(key, '.'); i > 0; i = strings.LastIndexByte(key[:i], '.') {
		if d, ok := t.dists[key[:i]+".*"]; ok {
			return d, true
		}
	}
	return "", false
}

// Key returns the name under which an import is mapped to a distribution: its
// top-level name, or for a module inside a namespace root (google, google.cloud,
// azure, …) the root plus one more component. names are the names of a from-import,
// used when the module itself is the namespace (`from google import protobuf`).
// An import may give several keys.
func (t *Table) Key(module string, names []string) []string {
	parts := strings.Split(module, ".")
	depth := 0 // components of the deepest namespace root that prefixes module
	for d := 1; d <= len(parts); d++ {
		if t.namespaces[strings.Join(parts[:d], ".")] {
			depth = d
		}
	}
	if depth == 0 {
		return []string{parts[0]}
	}
	if depth < len(parts) {
		return []string{strings.Join(parts[:depth+1], ".")}
	}
	// The module is a namespace root: the names imported from it are the packages.
	var keys []string
	for _, n := range names {
		if n == "*" {
			continue
		}
		keys = append(keys, t.Key(module+"."+n, nil)...)
	}
	if len(keys) == 0 {
		keys = []string{module}
	}
	return keys
}
