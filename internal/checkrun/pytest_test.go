package checkrun_test

import (
	"math"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/checkrun"
	"github.com/pydepot/pydepot/internal/testdist"
)

// pytestedFiles: a package whose pytest tests pass twice, fail once (an assert) and
// error once (a fixture that raises). Its module has 10 statements; the tests run 6 of
// them (the imports and defs, add and mul), not the 4 of unused: 60% line coverage of
// the package's own modules. The test files and helperlib, all run to the end, are not
// the package's: counted, they would raise the figure.
var pytestedFiles = map[string]string{
	"setup.py": `from setuptools import setup
setup(name="pytested", version="1.0", packages=["pytested"], install_requires=["helperlib"])
`,
	"pytested/__init__.py": `import helperlib


def add(a, b):
    return a + b


def mul(a, b):
    return helperlib.times(a, b)


def unused(a):
    x = a + 1
    y = x * 2
    z = y - 3
    return z
`,
	"tests/__init__.py": "",
	"tests/test_pytested.py": `import pytest

import pytested


@pytest.fixture
def broken():
    raise RuntimeError("the fixture breaks")


def test_add():
    assert pytested.add(2, 3) == 5


def test_mul():
    assert pytested.mul(2, 3) == 6


def test_fails():
    assert pytested.add(2, 2) == 5


def test_errors(broken):
    assert broken
`,
}

// With pytest and coverage in the wheelhouse, the test step runs the sdist's tests with
// pytest under coverage, in the sandbox: the counts are pytest's (2 passed, 1 failed,
// 1 error), the coverage is that of the package's own module, and the failed tests make
// the verdict warn (checkreport.Decide), with test failed and the other steps passed, and
// pytest itself leaves no finding.
func TestPytestWithCoverage(t *testing.T) {
	wheels := testdist.PinnedWheels(t, "pytest", "iniconfig", "packaging", "pluggy", "pygments", "coverage")
	dir := t.TempDir()
	helper := writeWheel(t, dir, "helperlib", "0.1", helperlibFiles)
	src := writeSdist(t, dir, "pytested", "1.0", pytestedFiles, "helperlib")
	files := append(append(debianWheels(t), helper), wheels...)
	r, err := checkrun.New(testConfig(t, files...)).Check(t.Context(), input(t, src))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{checkreport.StepResolve, checkreport.StepBuild, checkreport.StepInstall, checkreport.StepImport} {
		if tk := task(t, r, name); tk.Status != checkreport.Passed {
			t.Errorf("%s: %s %s\n%s", name, tk.Status, tk.Error, tk.Log)
		}
	}
	tk := task(t, r, checkreport.StepTest)
	if tk.Status != checkreport.Failed || !strings.Contains(tk.Log, "running the tests with pytest") || !strings.Contains(tk.Log, "under coverage") {
		t.Fatalf("test: %s %s\n%s", tk.Status, tk.Error, tk.Log)
	}
	if r.Tests.Passed != 2 || r.Tests.Failed != 1 || r.Tests.Errors != 1 {
		t.Errorf("tests %+v, want 2 passed, 1 failed, 1 error\n%s", r.Tests, tk.Log)
	}
	if c := r.Tests.Coverage; c == nil || math.Abs(*c-60) > 0.01 {
		t.Errorf("coverage %v, want 60%% (6 of pytested's 10 statements)\n%s", c, tk.Log)
	}
	// pytest's own doings (its capture opens /dev/null, whose -yy annotation nests the
	// device's) are no findings: the warn comes from the tests alone.
	for _, f := range r.Findings {
		if f.Task == checkreport.StepTest && f.Severity != checkreport.Info {
			t.Errorf("finding of the test step: %+v", f)
		}
	}
	if want := checkreport.Decide(r); r.Verdict != want || r.Verdict != checkreport.Warn {
		t.Errorf("verdict %s, Decide says %s, want warn\n%s", r.Verdict, want, dump(r))
	}
}

// With coverage but no pytest in the wheelhouse, the tests run by unittest discovery
// under coverage: benign's three tests pass and run all 5 statements of its module
// (100%), and the check passes.
func TestUnittestWithCoverage(t *testing.T) {
	wheels := testdist.PinnedWheels(t, "coverage")
	dir := t.TempDir()
	helper := writeWheel(t, dir, "helperlib", "0.1", helperlibFiles)
	src := writeSdist(t, dir, "benign", "1.0", benignFiles, "helperlib")
	files := append(append(debianWheels(t), helper), wheels...)
	r, err := checkrun.New(testConfig(t, files...)).Check(t.Context(), input(t, src))
	if err != nil {
		t.Fatal(err)
	}
	tk := task(t, r, checkreport.StepTest)
	if tk.Status != checkreport.Passed || !strings.Contains(tk.Log, "running the tests with unittest discovery") || !strings.Contains(tk.Log, "under coverage") {
		t.Fatalf("test: %s %s\n%s", tk.Status, tk.Error, tk.Log)
	}
	if r.Tests.Passed != 3 || r.Tests.Failed != 0 || r.Tests.Errors != 0 {
		t.Errorf("tests %+v, want 3 passed", r.Tests)
	}
	if c := r.Tests.Coverage; c == nil || *c != 100 {
		t.Errorf("coverage %v, want 100%% (all 5 of benign's statements)\n%s", c, tk.Log)
	}
	if r.Verdict != checkreport.Pass {
		t.Errorf("verdict %s, want pass\n%s", r.Verdict, dump(r))
	}
}
