package checkrun

import (
	"context"
	_ "embed"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/installer"
	"github.com/pydepot/pydepot/internal/taskgraph"
)

//go:embed py/run_unittest.py
var unittestScript []byte

// maxResultFile caps the result files the test step reads back (counts, JUnit XML,
// coverage JSON), which the package's code could have written.
const maxResultFile = 16 << 20

// test runs the sdist's tests in the sandbox: pytest when the wheelhouse has it,
// unittest discovery otherwise, under coverage when the wheelhouse has it.
func (c *check) test(ctx context.Context, d *taskgraph.Data, log io.Writer) error {
	if c.dist.Kind == filenames.KindWheel {
		return fmt.Errorf("a wheel carries no tests to run: %w", taskgraph.ErrSkip)
	}
	wh, _ := taskgraph.Get(d, keyWheelhouse)
	env, _ := taskgraph.Get(d, keyEnv)
	whl, _ := taskgraph.Get(d, keyWheel)
	work := filepath.Join(c.dir, "test")
	tree := filepath.Join(work, "tree")
	if err := copyTree(c.tree, tree); err != nil {
		return fmt.Errorf("copying the source tree: %w", err)
	}
	if !hasTests(tree) {
		return fmt.Errorf("the sdist has no test*.py files: %w", taskgraph.ErrSkip)
	}
	var pythonPath []string
	usePytest := len(wh.tools["pytest"]) > 0
	useCoverage := len(wh.tools["coverage"]) > 0
	for _, tool := range []string{"pytest", "coverage"} {
		if len(wh.tools[tool]) == 0 {
			continue
		}
		dir := filepath.Join(work, "tools", tool)
		var jobs []installer.Job
		for _, p := range wh.tools[tool] {
			jobs = append(jobs, installer.Job{Wheel: p})
		}
		if _, err := installer.InstallAll(ctx, jobs, installer.TargetScheme(dir), 2); err != nil {
			return fmt.Errorf("installing %s: %w", tool, err)
		}
		pythonPath = append(pythonPath, inWork+"/tools/"+tool)
	}
	inTree := inWork + "/tree"
	var runner []string
	if usePytest {
		fmt.Fprintln(log, "running the tests with pytest")
		runner = []string{"-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml=" + inWork + "/junit.xml", inTree}
	} else {
		fmt.Fprintln(log, "running the tests with unittest discovery")
		if err := os.WriteFile(filepath.Join(work, "run_unittest.py"), unittestScript, 0o644); err != nil {
			return err
		}
		runner = []string{inWork + "/run_unittest.py", inTree, inWork + "/result.json"}
	}
	args := []string{env.python}
	if useCoverage {
		fmt.Fprintln(log, "under coverage")
		args = append(args, "-m", "coverage", "run", "--data-file="+inWork+"/.coverage", "--source="+strings.Join(whl.modules, ","))
	}
	args = append(args, runner...)
	envVars := []string{"PYTHONDONTWRITEBYTECODE=1"}
	if len(pythonPath) > 0 {
		envVars = append(envVars, "PYTHONPATH="+strings.Join(pythonPath, ":"))
	}
	run := sandboxRun{step: checkreport.StepTest, args: args, dir: inTree, env: envVars, work: work, mountEnv: true, log: log}
	out, err := c.sandboxed(ctx, run)
	// pytest exits 1 when tests failed, which the counts say; anything else is the run failing.
	if err != nil && !(usePytest && out != nil && out.Limit == "" && out.Signal == "" && out.ExitCode == 1) {
		return err
	}
	var tests checkreport.Tests
	if usePytest {
		tests, err = readJUnit(filepath.Join(work, "junit.xml"))
	} else {
		tests, err = readUnittest(filepath.Join(work, "result.json"))
	}
	if err != nil {
		return err
	}
	if useCoverage {
		cov := []string{env.python, "-m", "coverage", "json", "--data-file=" + inWork + "/.coverage", "-o", inWork + "/coverage.json"}
		if _, err := c.sandboxed(ctx, sandboxRun{step: checkreport.StepTest, args: cov, dir: inTree, env: envVars, work: work, mountEnv: true, log: log}); err != nil {
			fmt.Fprintf(log, "no coverage report: %v\n", err)
		} else if pct, err := readCoverage(filepath.Join(work, "coverage.json")); err != nil {
			fmt.Fprintf(log, "no coverage report: %v\n", err)
		} else {
			tests.Coverage = &pct
		}
	}
	c.mu.Lock()
	c.tests = tests
	c.mu.Unlock()
	fmt.Fprintf(log, "tests: %d passed, %d failed, %d errors\n", tests.Passed, tests.Failed, tests.Errors)
	if tests.Failed > 0 || tests.Errors > 0 {
		return fmt.Errorf("%d tests failed and %d had errors", tests.Failed, tests.Errors)
	}
	return nil
}

func readUnittest(path string) (checkreport.Tests, error) {
	data, err := readCapped(path, maxResultFile)
	if err != nil {
		return checkreport.Tests{}, fmt.Errorf("the test run left no result: %w", err)
	}
	var r struct{ Passed, Failed, Errors int }
	if err := json.Unmarshal(data, &r); err != nil {
		return checkreport.Tests{}, fmt.Errorf("the test result: %w", err)
	}
	return checkreport.Tests{Passed: max(r.Passed, 0), Failed: max(r.Failed, 0), Errors: max(r.Errors, 0)}, nil
}

// readJUnit counts pytest's JUnit XML: testsuite elements, at the root or in testsuites.
func readJUnit(path string) (checkreport.Tests, error) {
	data, err := readCapped(path, maxResultFile)
	if err != nil {
		return checkreport.Tests{}, fmt.Errorf("pytest left no JUnit report: %w", err)
	}
	type suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
	}
	var doc struct {
		XMLName xml.Name
		suite
		Suites []suite `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return checkreport.Tests{}, fmt.Errorf("pytest's JUnit report: %w", err)
	}
	suites := doc.Suites
	if doc.XMLName.Local == "testsuite" {
		suites = []suite{doc.suite}
	}
	var t checkreport.Tests
	for _, s := range suites {
		t.Passed += max(s.Tests-s.Failures-s.Errors-s.Skipped, 0)
		t.Failed += max(s.Failures, 0)
		t.Errors += max(s.Errors, 0)
	}
	return t, nil
}

func readCoverage(path string) (float64, error) {
	data, err := readCapped(path, maxResultFile)
	if err != nil {
		return 0, err
	}
	var r struct {
		Totals struct {
			PercentCovered *float64 `json:"percent_covered"`
		} `json:"totals"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return 0, err
	}
	if r.Totals.PercentCovered == nil {
		return 0, errors.New("coverage.json has no totals.percent_covered")
	}
	return min(max(*r.Totals.PercentCovered, 0), 100), nil
}

// copyTree copies the regular files and folders of src (an archive extracted by
// internal/archives: nothing else is there) to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case e.IsDir():
			return os.MkdirAll(target, 0o755)
		case e.Type().IsRegular():
			return copyFile(p, target) // streamed: a member may be large
		}
		return nil
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// hasTests reports whether the tree holds a test*.py file.
func hasTests(tree string) bool {
	found := false
	filepath.WalkDir(tree, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasPrefix(e.Name(), "test") && strings.HasSuffix(e.Name(), ".py") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
