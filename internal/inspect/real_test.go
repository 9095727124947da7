package inspect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// TestMachineWheels inspects the wheels bundled with every installed interpreter
// (ensurepip and the test suites' wheel data; pyenv's builds have both).
func TestMachineWheels(t *testing.T) {
	var files []string
	for _, pat := range []string{
		"lib/python*/ensurepip/_bundled/*.whl",
		"lib/python*/test/*.whl",
		"lib/python*/test/wheeldata/*.whl",
		"lib/python*/test/test_importlib/*/*.whl",
		"lib/python*/test/test_importlib/metadata/data/*.whl",
	} {
		files = append(files, testdist.GlobPrefixes(pat)...)
	}
	if len(files) == 0 {
		testdist.Missing(t, "no interpreter with bundled wheels (ensurepip, test suite) in %v", testdist.PythonPrefixes())
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
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inspectBytes(filepath.Base(m[0]), data); err != nil {
			b.Fatal(err)
		}
	}
}
