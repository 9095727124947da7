package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func runAnalyze(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: os.Getenv}
	code := Main(context.Background(), append([]string{"analyze"}, args...), env)
	return code, out.String(), errb.String()
}

func TestAnalyzeCommand(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "job.py")
	os.WriteFile(script, []byte("import antigravity, yaml, helper\nimport sklearn\ndef f():\n    import cv2\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "helper.py"), nil, 0o644)
	outFile := filepath.Join(dir, "deps.json")

	code, _, stderr := runAnalyze(t, "", "--python", "3.11", "--extra-pkg", "numpy>=1.26", "--pkg-mapping", "sklearn=scikit-learn-intelex", script, outFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res["python"].(string), "3.11") {
		t.Errorf("python = %v", res["python"])
	}
	wantMods := []any{"cv2", "sklearn", "yaml"}
	if !reflect.DeepEqual(res["modules"], wantMods) {
		t.Errorf("modules = %v, want %v", res["modules"], wantMods)
	}
	wantReqs := []any{"numpy>=1.26", "opencv-python", "PyYAML", "scikit-learn-intelex"}
	if !reflect.DeepEqual(res["requirements"], wantReqs) {
		t.Errorf("requirements = %v, want %v", res["requirements"], wantReqs)
	}
	if !bytes.Contains(b, []byte(`"numpy>=1.26"`)) {
		t.Errorf("'>' is escaped in %s", b)
	}

	// stdin to stdout, --toplevel, default interpreter (python3 on PATH).
	code, stdout, stderr := runAnalyze(t, "import yaml\ndef f():\n    import cv2\n", "--toplevel", "-", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"modules": [
        "yaml"
    ]`) {
		t.Errorf("stdout = %s", stdout)
	}

	for _, bad := range [][]string{
		{"--toplevel", "--function", "f", "-", "-"},
		{"--pkg-mapping", "noequals", "-", "-"},
		{"--python", "2.7", "-", "-"},
		{"--python", "3.11", filepath.Join(dir, "missing.py"), "-"},
	} {
		if code, _, _ := runAnalyze(t, "", bad...); code == 0 {
			t.Errorf("analyze %v succeeded", bad)
		}
	}
}
