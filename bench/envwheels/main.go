// Command envwheels writes a static PEP 503 index for the environment benchmarks: it
// rebuilds wheels of distributions installed in pyenv's Python 3.11 (with their real
// dependency metadata) and lays them out as ROOT/simple/<project>/index.html and
// ROOT/files/<wheel>, ready for `python3 -m http.server -d ROOT`, so that pip and pydepot
// read the very same index.
//
//	go run ./bench/envwheels ROOT flask requests pyyaml python-dateutil
//
// Dependencies of the named distributions are included, recursively, when installed.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pydepot/pydepot/internal/testdist"
)

var (
	nonAlnum = regexp.MustCompile(`[-_.]+`)
	reqName  = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)`)
)

func normalize(s string) string { return strings.ToLower(nonAlnum.ReplaceAllString(s, "-")) }

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: envwheels ROOT DIST...")
		os.Exit(1)
	}
	root := os.Args[1]
	files := filepath.Join(root, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		fail(err)
	}
	site, err := testdist.FindSitePackages()
	if err != nil {
		fail(err)
	}
	seen := map[string]bool{}
	queue := append([]string(nil), os.Args[2:]...)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[normalize(name)] {
			continue
		}
		seen[normalize(name)] = true
		di, err := testdist.FindDistInfo(site, name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "envwheels: %s not installed, skipped\n", name)
			continue
		}
		whl, err := testdist.Rebuild(di, files)
		if err != nil {
			fail(err)
		}
		if whl, err = fixTags(whl, filepath.Join(di, "WHEEL")); err != nil {
			fail(err)
		}
		rp, deps := metadata(filepath.Join(di, "METADATA"))
		queue = append(queue, deps...)
		data, err := os.ReadFile(whl)
		if err != nil {
			fail(err)
		}
		sum := sha256.Sum256(data)
		dir := filepath.Join(root, "simple", normalize(name))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fail(err)
		}
		attr := ""
		if rp != "" {
			attr = fmt.Sprintf(` data-requires-python="%s"`, html.EscapeString(rp))
		}
		page := fmt.Sprintf("<!DOCTYPE html>\n<html><body>\n<a href=\"../../files/%s#sha256=%s\"%s>%s</a>\n</body></html>\n",
			filepath.Base(whl), hex.EncodeToString(sum[:]), attr, filepath.Base(whl))
		if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o644); err != nil {
			fail(err)
		}
		fmt.Println(filepath.Base(whl))
	}
}

// metadata returns Requires-Python and the names of the unconditional (marker-free or
// marker-bearing but not extra-only) Requires-Dist entries.
func metadata(path string) (string, []string) {
	f, err := os.Open(path)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	var rp string
	var deps []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Requires-Python:"); ok {
			rp = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "Requires-Dist:"); ok {
			if strings.Contains(v, "extra ==") || strings.Contains(v, "extra==") {
				continue
			}
			if m := reqName.FindStringSubmatch(v); m != nil {
				deps = append(deps, m[1])
			}
		}
	}
	return rp, deps
}

// fixTags renames a wheel whose WHEEL file lists several tags (py2-none-any and
// py3-none-any) to the compressed tag set (py2.py3-none-any); testdist.Rebuild names it
// after the first tag only.
func fixTags(whl, wheelFile string) (string, error) {
	data, err := os.ReadFile(wheelFile)
	if err != nil {
		return "", err
	}
	var py, abi, plat []string
	add := func(list []string, v string) []string {
		for _, x := range list {
			if x == v {
				return list
			}
		}
		return append(list, v)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Tag:"); ok {
			parts := strings.Split(strings.TrimSpace(v), "-")
			if len(parts) == 3 {
				py, abi, plat = add(py, parts[0]), add(abi, parts[1]), add(plat, parts[2])
			}
		}
	}
	if len(py) <= 1 && len(abi) <= 1 && len(plat) <= 1 {
		return whl, nil
	}
	base := filepath.Base(whl)
	parts := strings.Split(strings.TrimSuffix(base, ".whl"), "-")
	n := len(parts)
	parts[n-3], parts[n-2], parts[n-1] = strings.Join(py, "."), strings.Join(abi, "."), strings.Join(plat, ".")
	fixed := filepath.Join(filepath.Dir(whl), strings.Join(parts, "-")+".whl")
	return fixed, os.Rename(whl, fixed)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "envwheels:", err)
	os.Exit(1)
}
