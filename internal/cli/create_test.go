package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 6: create exits 1 for a usage error and 2 for a missing SPEC, as cctools'
// python_package_create; a SPEC that names nothing is refused, not packed empty.
func TestCreateExitCodes(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, []byte("{}"), 0o644)
	deps := filepath.Join(dir, "deps.json")
	os.WriteFile(deps, []byte(`{"requirements": ["six"]}`), 0o644)
	cache := t.TempDir()
	getenv := func(k string) string {
		if k == "XDG_CACHE_HOME" {
			return cache
		}
		return os.Getenv(k)
	}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"create"}, 1, "usage: pydepot create SPEC NAME"},
		{[]string{"create", deps}, 1, "usage"},
		{[]string{"create", deps, "a", "b"}, 1, "usage"},
		{[]string{"create", "--frobnicate", deps, "x"}, 1, "unknown flag"},
		{[]string{"create", filepath.Join(dir, "missing.json"), "x"}, 2, "no such file"},
		{[]string{"create", dir, "x"}, 2, "is a folder"},
		{[]string{"create", empty, "x"}, 1, "names nothing to install"},
		{[]string{"create", "--format", "gz", deps, "x.tar.zst"}, 1, "asks for .tar.zst, but the format is gz"},
		{[]string{"create", "--format", "rar", deps, "x"}, 1, "unknown format"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: getenv}
		code := Main(context.Background(), tt.args, env)
		if code != tt.code || !strings.Contains(errb.String(), tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errb.String(), tt.code, tt.msg)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 2 {
			t.Errorf("%v: left files in %s: %v", tt.args, dir, ents)
		}
	}
}
