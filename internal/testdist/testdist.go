// Package testdist gives tests real distributions to work with: wheels rebuilt from the
// dist-info of distributions installed on the machine (with their real dependency
// metadata), wheels and sdists built from small projects with `python3 -m build`, and the
// wheels Debian ships in /usr/share/python-wheels. It finds the machine's interpreters by
// version (Python, PythonInfo, PythonPrefixes: pyenv, then PATH, then /usr/bin) and the
// tools the test setup installs (Tool, DebianTool, NeedDebian, NeedCommand); it never
// installs anything, `make test-deps` does. It is used only by tests.
package testdist

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// DebianWheels is where Debian's python3-pip-whl and python3-setuptools-whl put their wheels.
const DebianWheels = "/usr/share/python-wheels"

var nonAlnum = regexp.MustCompile(`[-_.]+`)

func normalize(s string) string { return strings.ToLower(nonAlnum.ReplaceAllString(s, "-")) }

// FindDistInfo returns the .dist-info directory of the installed distribution name in site.
func FindDistInfo(site, name string) (string, error) {
	entries, err := os.ReadDir(site)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() || !strings.HasSuffix(n, ".dist-info") {
			continue
		}
		base := strings.TrimSuffix(n, ".dist-info")
		i := strings.LastIndex(base, "-")
		if i > 0 && normalize(base[:i]) == normalize(name) {
			return filepath.Join(site, n), nil
		}
	}
	return "", fmt.Errorf("no installed distribution %q in %s", name, site)
}

// headers reads "Key: value" lines up to the first blank line.
func headers(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, " ") {
			out[k] = append(out[k], strings.TrimSpace(v))
		}
	}
	return out, nil
}

// Rebuild packs an installed distribution back into a wheel in outDir, from the files its
// RECORD lists inside site-packages (byte code, INSTALLER, REQUESTED and direct_url.json
// left out), with the tags of its WHEEL file and a fresh RECORD. It returns the wheel's path.
func Rebuild(distInfo, outDir string) (string, error) {
	site := filepath.Dir(distInfo)
	info := filepath.Base(distInfo)
	meta, err := headers(filepath.Join(distInfo, "METADATA"))
	if err != nil {
		return "", err
	}
	wheel, err := headers(filepath.Join(distInfo, "WHEEL"))
	if err != nil {
		return "", err
	}
	if len(meta["Name"]) == 0 || len(meta["Version"]) == 0 || len(wheel["Tag"]) == 0 {
		return "", fmt.Errorf("%s: METADATA or WHEEL incomplete", distInfo)
	}
	record, err := os.Open(filepath.Join(distInfo, "RECORD"))
	if err != nil {
		return "", err
	}
	defer record.Close()
	var files []string
	sc := bufio.NewScanner(record)
	for sc.Scan() {
		p := sc.Text()
		if i := strings.LastIndex(p, ",,"); i >= 0 && strings.Count(p, ",") >= 2 {
			p = p[:i]
		} else if parts := strings.Split(p, ","); len(parts) >= 3 {
			p = strings.Join(parts[:len(parts)-2], ",")
		}
		p = strings.Trim(p, `"`)
		switch {
		case p == "", strings.HasPrefix(p, "../"), strings.HasPrefix(p, "/"),
			strings.Contains(p, "__pycache__/"), strings.HasSuffix(p, ".pyc"),
			p == info+"/INSTALLER", p == info+"/REQUESTED", p == info+"/direct_url.json", p == info+"/RECORD":
			continue
		}
		files = append(files, p)
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	sort.Strings(files)
	escaped := strings.ReplaceAll(nonAlnum.ReplaceAllString(meta["Name"][0], "_"), "-", "_")
	name := fmt.Sprintf("%s-%s-%s.whl", escaped, meta["Version"][0], compressTags(wheel["Tag"]))
	path := filepath.Join(outDir, name)
	out, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	var rec bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(site, filepath.FromSlash(f)))
		if err != nil {
			return "", fmt.Errorf("rebuild %s: %w", info, err)
		}
		w, err := zw.Create(f)
		if err != nil {
			return "", err
		}
		if _, err := w.Write(data); err != nil {
			return "", err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&rec, "%s,sha256=%s,%d\n", f, base64.RawURLEncoding.EncodeToString(sum[:]), len(data))
	}
	fmt.Fprintf(&rec, "%s/RECORD,,\n", info)
	w, err := zw.Create(info + "/RECORD")
	if err != nil {
		return "", err
	}
	if _, err := w.Write(rec.Bytes()); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return path, out.Close()
}

// compressTags turns the WHEEL file's Tag lines into the file name's compressed tag set
// ("py2-none-any" + "py3-none-any" → "py2.py3-none-any"). When the tags are not a full
// product of their parts, the triples sharing the first tag's ABI and platform are kept.
func compressTags(tags []string) string {
	type part struct {
		values []string
		seen   map[string]bool
	}
	parts := [3]*part{{seen: map[string]bool{}}, {seen: map[string]bool{}}, {seen: map[string]bool{}}}
	triples := map[string]bool{}
	for _, t := range tags {
		fields := strings.Split(t, "-")
		if len(fields) != 3 {
			continue
		}
		triples[t] = true
		for i, f := range fields {
			if !parts[i].seen[f] {
				parts[i].seen[f] = true
				parts[i].values = append(parts[i].values, f)
			}
		}
	}
	if len(parts[0].values)*len(parts[1].values)*len(parts[2].values) == len(triples) {
		return strings.Join(parts[0].values, ".") + "-" + strings.Join(parts[1].values, ".") + "-" + strings.Join(parts[2].values, ".")
	}
	first := strings.Split(tags[0], "-")
	var keep []string
	for _, in := range parts[0].values {
		if triples[in+"-"+first[1]+"-"+first[2]] {
			keep = append(keep, in)
		}
	}
	return strings.Join(keep, ".") + "-" + first[1] + "-" + first[2]
}

// BuildProject writes files (relative path → content) into a fresh folder under workDir and
// runs `python3 -m build --no-isolation` there (Debian's python3-build, setuptools and wheel).
// It returns the paths of the built wheel and sdist.
func BuildProject(workDir string, files map[string]string) (wheel, sdist string, err error) {
	src, err := os.MkdirTemp(workDir, "project-")
	if err != nil {
		return "", "", err
	}
	for rel, content := range files {
		p := filepath.Join(src, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return "", "", err
		}
	}
	out := filepath.Join(src, "dist")
	cmd := exec.Command("/usr/bin/python3", "-m", "build", "--no-isolation", "--outdir", out, src)
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("python3 -m build: %v\n%s", err, b)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return "", "", err
	}
	for _, e := range entries {
		switch {
		case strings.HasSuffix(e.Name(), ".whl"):
			wheel = filepath.Join(out, e.Name())
		case strings.HasSuffix(e.Name(), ".tar.gz"):
			sdist = filepath.Join(out, e.Name())
		}
	}
	if wheel == "" || sdist == "" {
		return "", "", fmt.Errorf("python3 -m build made no wheel or sdist in %s", out)
	}
	return wheel, sdist, nil
}

// SimpleProject returns the files of a setuptools project named name at version with the
// given dependencies, one module (the name with dashes as underscores) and a console script.
func SimpleProject(name, version string, deps ...string) map[string]string {
	mod := strings.ReplaceAll(normalize(name), "-", "_")
	quoted := make([]string, len(deps))
	for i, d := range deps {
		quoted[i] = fmt.Sprintf("%q", d)
	}
	return map[string]string{
		"pyproject.toml": fmt.Sprintf(`[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = %q
version = %q
description = "test project %s"
requires-python = ">=3.7"
dependencies = [%s]

[project.scripts]
%s-hello = "%s:main"
`, name, version, name, strings.Join(quoted, ", "), normalize(name), mod),
		mod + "/__init__.py": fmt.Sprintf("VERSION = %q\n\ndef main():\n    print(%q)\n", version, name+" "+version),
	}
}
