package testdist

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// InstalledMetadata returns the core metadata files (METADATA, PKG-INFO, and egg-info
// files) of every distribution installed on this machine: in the site-packages of every
// Python (PythonPrefixes) and Debian's dist-packages. It fails the test when there are
// suspiciously few.
func InstalledMetadata(t testing.TB) []string {
	t.Helper()
	matches := GlobPrefixes("lib/python*/site-packages/*.dist-info/METADATA")
	for _, pat := range []string{
		"/usr/lib/python3/dist-packages/*.dist-info/METADATA",
		"/usr/lib/python3/dist-packages/*.egg-info/PKG-INFO",
		"/usr/lib/python3/dist-packages/*.egg-info",
	} {
		m, _ := filepath.Glob(pat)
		matches = append(matches, m...)
	}
	var files []string
	for _, f := range matches {
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			files = append(files, f)
		}
	}
	if len(files) < 50 {
		t.Fatalf("only %d installed metadata files found", len(files))
	}
	return files
}

// InstalledRequiresDist returns every distinct Requires-Dist value of the installed
// distributions, in the order first seen.
func InstalledRequiresDist(t testing.TB) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, f := range InstalledMetadata(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Requires-Dist:"); ok {
				if v = strings.TrimSpace(v); !seen[v] {
					seen[v] = true
					out = append(out, v)
				}
			}
		}
	}
	return out
}
