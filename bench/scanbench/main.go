// Command scanbench runs pydepot's scan and GuardDog on the same package folders (the
// test packages of internal/scan/scantest, and any folders given with -dir, such as
// installed site-packages) and prints, per folder, each one's wall time and findings,
// then RESULT lines with the totals and the ratio of times. bench/bench-scan.sh runs it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/scan"
	"github.com/pydepot/pydepot/internal/scan/scantest"
)

type dirs []string

func (d *dirs) String() string     { return strings.Join(*d, ",") }
func (d *dirs) Set(s string) error { *d = append(*d, s); return nil }

func main() {
	guarddog := flag.String("guarddog", "", "the guarddog command")
	work := flag.String("work", "", "a folder for the written packages")
	runs := flag.Int("runs", 3, "runs of scan per folder (best kept); guarddog runs once")
	var extra dirs
	flag.Var(&extra, "dir", "another package folder to compare on (repeatable)")
	flag.Parse()
	if *guarddog == "" || *work == "" {
		log.Fatal("scanbench: -guarddog and -work are required")
	}
	ctx := context.Background()
	var folders []string
	for _, p := range scantest.Packages() {
		root, err := p.Write(*work)
		if err != nil {
			log.Fatal(err)
		}
		folders = append(folders, root)
	}
	folders = append(folders, extra...)
	home := filepath.Join(*work, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		log.Fatal(err)
	}
	var tScan, tGD time.Duration
	var nScan, nGD int
	fmt.Printf("%-40s %10s %8s %10s %8s\n", "package", "scan", "findings", "guarddog", "rules")
	for _, dir := range folders {
		best := time.Duration(1 << 62)
		var found []string
		for i := 0; i < *runs; i++ {
			start := time.Now()
			fs, err := scan.Dir(ctx, dir)
			if err != nil {
				log.Fatal(err)
			}
			best = min(best, time.Since(start))
			found = found[:0]
			for _, f := range fs {
				if f.Severity.Rank() >= 2 {
					found = append(found, string(f.Severity)+":"+string(f.Kind))
				}
			}
		}
		start := time.Now()
		rules, err := guardDog(ctx, *guarddog, home, dir)
		if err != nil {
			log.Fatal(err)
		}
		gd := time.Since(start)
		tScan, tGD, nScan, nGD = tScan+best, tGD+gd, nScan+len(found), nGD+len(rules)
		fmt.Printf("%-40s %9.1fms %8d %9.0fms %8d\n", filepath.Base(dir), best.Seconds()*1000, len(found), gd.Seconds()*1000, len(rules))
		fmt.Printf("    scan: %s\n    guarddog: %s\n", strings.Join(found, " "), strings.Join(rules, " "))
	}
	fmt.Printf("RESULT scan_total_ms=%.1f findings=%d (medium or high)\n", tScan.Seconds()*1000, nScan)
	fmt.Printf("RESULT guarddog_total_ms=%.0f rules=%d\n", tGD.Seconds()*1000, nGD)
	fmt.Printf("RESULT scan_vs_guarddog_speedup=%.0f\n", tGD.Seconds()/tScan.Seconds())
}

// guardDog runs `guarddog pypi scan DIR --output-format json` and lists the rules that matched.
func guardDog(ctx context.Context, bin, home, dir string) ([]string, error) {
	cmd := exec.CommandContext(ctx, bin, "pypi", "scan", dir, "--output-format", "json")
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		return nil, err
	}
	b := stdout.Bytes()
	if i := bytes.IndexByte(b, '{'); i > 0 {
		b = b[i:]
	}
	var out struct {
		Results map[string]json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("guarddog on %s: %w: %s", dir, err, stdout.String())
	}
	var rules []string
	for r, raw := range out.Results {
		if s := strings.TrimSpace(string(raw)); s != "{}" && s != "[]" && s != "null" && s != `""` {
			rules = append(rules, r)
		}
	}
	sort.Strings(rules)
	return rules, nil
}
