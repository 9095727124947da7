// Command synctree writes a static PEP 503 tree (what nginx serves for the sync
// benchmarks and tests of issue 9) and fetches its files the plain way, as the baseline
// that a sync is compared against.
//
//	synctree gen -out DIR [-projects 2000] [-files 20000] [-pad 2048] [-metadata]
//	synctree fetch -base http://127.0.0.1:PORT/ -list DIR/files.txt -out DIR2 [-c 8]
//
// gen writes DIR/simple/index.html (every project), DIR/simple/PROJECT/index.html (its
// files as "../../files/NAME#sha256=HEX", with data-requires-python, and with
// data-core-metadata when -metadata also writes the PEP 658 NAME.metadata files),
// DIR/files/NAME (valid small wheels: the files are spread evenly over the projects,
// each padded with -pad random bytes) and DIR/files.txt (one "files/NAME SHA256" line a
// file, relative to the tree's root URL). No JSON: a plain static tree.
//
// fetch GETs every file of the list with -c workers over keep-alive connections, writes
// each under -out and checks its sha256, and prints "fetched N files, B bytes in S s".
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: synctree gen|fetch [flags] (see the package doc)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "fetch":
		err = fetch(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q: want gen or fetch", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "synctree:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	out := fs.String("out", "", "directory to write the tree into")
	projects := fs.Int("projects", 2000, "number of projects")
	files := fs.Int("files", 20000, "number of files, spread evenly over the projects")
	pad := fs.Int("pad", 2048, "random bytes added to each wheel")
	metadata := fs.Bool("metadata", false, "also write PEP 658 .metadata files and announce them")
	fs.Parse(args)
	if *out == "" || *projects <= 0 || *files < *projects {
		return errors.New("gen: -out is required, and -files must be at least -projects")
	}
	if err := os.MkdirAll(filepath.Join(*out, "files"), 0o755); err != nil {
		return err
	}
	// Projects are written by a few workers; their files.txt lines are joined in order.
	lines := make([]string, *projects)
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p := int(next.Add(1)) - 1
				if p >= *projects {
					return
				}
				n := *files / *projects
				if p < *files%*projects {
					n++
				}
				l, err := genProject(*out, projectName(p), n, *pad, *metadata)
				if err != nil {
					errc <- err
					return
				}
				lines[p] = l
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	var index bytes.Buffer
	index.WriteString("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Simple index</title></head><body>\n")
	for p := range *projects {
		fmt.Fprintf(&index, "<a href=\"%s/\">%s</a><br/>\n", projectName(p), projectName(p))
	}
	index.WriteString("</body></html>\n")
	if err := os.WriteFile(filepath.Join(*out, "simple", "index.html"), index.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*out, "files.txt"), []byte(strings.Join(lines, "")), 0o644)
}

func projectName(p int) string { return fmt.Sprintf("bench-project-%05d", p) }

// genProject writes the n files of a project and its page; it returns its files.txt lines.
func genProject(out, name string, n, pad int, metadata bool) (string, error) {
	var page, lines bytes.Buffer
	fmt.Fprintf(&page, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Links for %s</title></head><body>\n<h1>Links for %s</h1>\n", name, name)
	for v := range n {
		whl, meta, filename := wheel(name, fmt.Sprintf("1.%d", v), pad)
		if err := os.WriteFile(filepath.Join(out, "files", filename), whl, 0o644); err != nil {
			return "", err
		}
		sum := sha256.Sum256(whl)
		attrs := ` data-requires-python="&gt;=3.8"`
		if metadata {
			if err := os.WriteFile(filepath.Join(out, "files", filename+".metadata"), meta, 0o644); err != nil {
				return "", err
			}
			msum := sha256.Sum256(meta)
			attrs += ` data-core-metadata="sha256=` + hex.EncodeToString(msum[:]) + `"`
		}
		fmt.Fprintf(&page, "<a href=\"../../files/%s#sha256=%s\"%s>%s</a><br/>\n", filename, hex.EncodeToString(sum[:]), attrs, filename)
		fmt.Fprintf(&lines, "files/%s %s\n", filename, hex.EncodeToString(sum[:]))
	}
	page.WriteString("</body></html>\n")
	dir := filepath.Join(out, "simple", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return lines.String(), os.WriteFile(filepath.Join(dir, "index.html"), page.Bytes(), 0o644)
}

// wheel is a valid pure-Python wheel of name and version with pad random bytes in a data
// file; it returns the wheel, its METADATA and its filename.
func wheel(name, version string, pad int) ([]byte, []byte, string) {
	mod := strings.ReplaceAll(name, "-", "_")
	info := fmt.Sprintf("%s-%s.dist-info", mod, version)
	meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: sync benchmark project\nRequires-Python: >=3.8\n\n", name, version)
	noise := make([]byte, pad)
	for i := range noise {
		noise[i] = byte(rand.Uint32()) // random enough that no two wheels are alike
	}
	files := []struct{ name, body string }{
		{mod + "/__init__.py", fmt.Sprintf("VERSION = %q\n", version)},
		{mod + "/data.bin", string(noise)},
		{info + "/METADATA", meta},
		{info + "/WHEEL", "Wheel-Version: 1.0\nGenerator: synctree\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{info + "/top_level.txt", mod + "\n"},
	}
	var buf, record bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, _ := zw.Create(f.name)
		_, _ = w.Write([]byte(f.body))
		sum := sha256.Sum256([]byte(f.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.body))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", info)
	w, _ := zw.Create(info + "/RECORD")
	_, _ = w.Write(record.Bytes())
	_ = zw.Close()
	return buf.Bytes(), []byte(meta), fmt.Sprintf("%s-%s-py3-none-any.whl", mod, version)
}

func fetch(args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ExitOnError)
	base := fs.String("base", "", "the tree's root URL (files.txt paths are relative to it)")
	listPath := fs.String("list", "", "files.txt written by gen")
	out := fs.String("out", "", "directory to write the files into")
	workers := fs.Int("c", 8, "concurrent downloads")
	fs.Parse(args)
	if *base == "" || *listPath == "" || *out == "" {
		return errors.New("fetch: -base, -list and -out are required")
	}
	data, err := os.ReadFile(*listPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	type item struct{ path, sha string }
	var items []item
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		p, sha, _ := strings.Cut(line, " ")
		items = append(items, item{p, sha})
	}
	hc := &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: *workers, ResponseHeaderTimeout: time.Minute,
	}}
	root := strings.TrimSuffix(*base, "/") + "/"
	ctx := context.Background()
	start := time.Now()
	var next, bytesN atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, *workers)
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(items) {
					return
				}
				n, err := get(ctx, hc, root+items[i].path, filepath.Join(*out, filepath.Base(items[i].path)), items[i].sha)
				if err != nil {
					errc <- err
					return
				}
				bytesN.Add(n)
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	fmt.Printf("fetched %d files, %d bytes in %.3f s\n", len(items), bytesN.Load(), time.Since(start).Seconds())
	return nil
}

func get(ctx context.Context, hc *http.Client, url, dst, want string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return 0, fmt.Errorf("GET %s: sha256 %s, want %s", url, got, want)
	}
	return n, nil
}
