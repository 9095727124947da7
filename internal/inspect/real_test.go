package inspect

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMachineWheels inspects the wheels bundled with every pyenv interpreter (ensurepip
// and the test suites' wheel data).
func TestMachineWheels(t *testing.T) {
	var files []string
	for _, pat := range []string{
		"/root/.pyenv/versions/*/lib/python*/ensurepip/_bundled/*.whl",
		"/root/.pyenv/versions/*/lib/python*/test/*.whl",
		"/root/.pyenv/versions/*/lib/python*/test/wheeldata/*.whl",
		"/root/.pyenv/versions/*/lib/python*/test/test_importlib/*/*.whl",
		"/root/.pyenv/versions/*/lib/python*/test/test_importlib/metadata/data/*.whl",
	} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no pyenv wheels on this machine")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		info, err := inspectBytes(filepath.Base(f), data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(info.ImportNames) == 0 {
			t.Errorf("%s: no import names", f)
		}
	}
	t.Logf("%d wheels inspected", len(files))
}

func BenchmarkInspectPipWheel(b *testing.B) {
	m, _ := filepath.Glob("/usr/share/python-wheels/pip-*.whl")
	if len(m) == 0 {
		b.Fatal("no pip wheel in /usr/share/python-wheels")
	}
	data, err := os.ReadFile(m[0])
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := inspectBytes(filepath.Base(m[0]), data); err != nil {
			b.Fatal(err)
		}
	}
}
