package checkrun

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/installer"
	"github.com/pydepot/pydepot/internal/taskgraph"
)

//go:embed py/import_all.py
var importScript string

// environment is the fresh environment the install step made.
type environment struct {
	host    string // on the host
	python  string // its interpreter, inside
	site    string // its site-packages, inside
	version string // "3.11"
}

// install makes a fresh environment, installs the wheel and its dependencies into it,
// and starts its interpreter in the sandbox to byte-compile it (running the .pth files
// installed, as any later start would).
func (c *check) install(ctx context.Context, d *taskgraph.Data, log io.Writer) error {
	wh, _ := taskgraph.Get(d, keyWheelhouse)
	whl, _ := taskgraph.Get(d, keyWheel)
	mm := c.interp.MajorMinor()
	env := &environment{host: filepath.Join(c.dir, "env"), python: inEnv + "/bin/python",
		site: inEnv + "/lib/python" + mm + "/site-packages", version: mm}
	if err := makeVenv(env.host, c.interp.Path, c.interp.Version, mm); err != nil {
		return fmt.Errorf("making the environment: %w", err)
	}
	jobs := []installer.Job{{Wheel: whl.path, Options: installer.Options{Requested: true}}}
	for _, p := range wh.runtime {
		jobs = append(jobs, installer.Job{Wheel: p})
	}
	scheme := installer.VenvScheme(env.host, mm)
	results, err := installer.InstallAll(ctx, jobs, scheme, 2)
	if err != nil {
		return err
	}
	for _, r := range results {
		fmt.Fprintf(log, "installed %s %s (%d files)\n", r.Name, r.Version, len(r.Files))
		for _, f := range r.Files {
			if filepath.Dir(f) == scheme.Purelib && strings.HasSuffix(f, ".pth") {
				c.addFindings(checkreport.StepInstall, []checkreport.Finding{pthFinding(r.Name, f)})
			}
		}
	}
	const compile = "import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=1)"
	_, err = c.sandboxed(ctx, sandboxRun{step: checkreport.StepInstall, args: []string{env.python, "-c", compile, env.site},
		work: filepath.Join(c.dir, "install"), mountEnv: true, envWritable: true, log: log})
	if err != nil {
		return err
	}
	taskgraph.Put(d, keyEnv, env)
	return nil
}

// pthFinding: a .pth file runs its import lines at every start of the interpreter.
func pthFinding(dist, path string) checkreport.Finding {
	sev, what := checkreport.Low, "adds paths"
	if data, err := readCapped(path, 1<<20); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "import\t") {
				sev, what = checkreport.Medium, "runs code at every interpreter start: "+truncate(line, 200)
				break
			}
		}
	}
	return checkreport.Finding{Kind: checkreport.Pth, Severity: sev,
		Detail: fmt.Sprintf("%s installs %s, which %s", dist, filepath.Base(path), what)}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// readCapped reads at most max bytes of the file, refusing a longer one.
func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is over %d bytes", filepath.Base(path), max)
	}
	return data, nil
}

// makeVenv writes what `python -m venv --without-pip` makes: pyvenv.cfg and bin/python*
// links to the interpreter; site-packages is made by the installer.
func makeVenv(dir, python, version, mm string) error {
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	cfg := fmt.Sprintf("home = %s\ninclude-system-site-packages = false\nversion = %s\n", filepath.Dir(python), version)
	if err := os.WriteFile(filepath.Join(dir, "pyvenv.cfg"), []byte(cfg), 0o644); err != nil {
		return err
	}
	for _, n := range []string{"python", "python3", "python" + mm} {
		if err := os.Symlink(python, filepath.Join(bin, n)); err != nil {
			return err
		}
	}
	return nil
}

// importAll imports every top-level module of the wheel in the sandbox.
func (c *check) importAll(ctx context.Context, d *taskgraph.Data, log io.Writer) error {
	whl, _ := taskgraph.Get(d, keyWheel)
	env, _ := taskgraph.Get(d, keyEnv)
	if len(whl.modules) == 0 {
		fmt.Fprintln(log, "the wheel provides no top-level module")
		return nil
	}
	args := append([]string{env.python, "-I", "-c", importScript}, whl.modules...)
	_, err := c.sandboxed(ctx, sandboxRun{step: checkreport.StepImport, args: args,
		env: []string{"PYTHONDONTWRITEBYTECODE=1"}, work: filepath.Join(c.dir, "import"), mountEnv: true, log: log})
	if err != nil {
		return fmt.Errorf("importing %s: %w", strings.Join(whl.modules, ", "), err)
	}
	return nil
}
