package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/pysource"
)

// Limits bound one scan.
type Limits struct {
	Files     int           // directory entries looked at
	FileBytes int64         // one .py or .pth file
	Bytes     int64         // all files read
	Findings  int           // findings listed (more are counted in one last finding)
	Time      time.Duration // wall clock
}

// DefaultLimits are the bounds Dir uses.
var DefaultLimits = Limits{Files: 50000, FileBytes: 8 << 20, Bytes: 512 << 20, Findings: 200, Time: 2 * time.Minute}

// Dir scans an unpacked sdist or wheel with DefaultLimits.
func Dir(ctx context.Context, root string) ([]checkreport.Finding, error) {
	return DefaultLimits.Dir(ctx, root)
}

// errStop ends the walk when a bound is reached.
var errStop = errors.New("scan bound reached")

// Dir scans the folder root within l (a zero field takes DefaultLimits'). It returns an error only when root cannot be read
// or ctx ends; a bound reached gives the findings so far and a medium limit finding.
func (l Limits) Dir(ctx context.Context, root string) ([]checkreport.Finding, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("scan: %s is not a folder: %w", root, errs.ErrInvalid)
	}
	l = l.withDefaults()
	parent := ctx
	if l.Time > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.Time)
		defer cancel()
	}
	out := &collector{max: max(l.Findings, 1), seen: map[string]bool{}}
	var files int
	var total int64
	limit := func(format string, a ...any) error {
		out.list = append(out.list, checkreport.Finding{Task: checkreport.StepScan, Kind: checkreport.Limit,
			Severity: checkreport.Medium, Detail: "scan stopped: " + fmt.Sprintf(format, a...)})
		return errStop
	}
	werr := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			if parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return limit("over %s", l.Time)
			}
			return err
		}
		if files++; l.Files > 0 && files > l.Files {
			return limit("more than %d files", l.Files)
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if !d.Type().IsRegular() {
			return nil // folders are walked, symbolic links and devices are never followed
		}
		ext := strings.ToLower(filepath.Ext(path))
		if ext != ".py" && ext != ".pyw" && ext != ".pth" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if l.FileBytes > 0 && info.Size() > l.FileBytes {
			out.add(checkreport.Limit, checkreport.Medium, fmt.Sprintf("%s: not scanned: %d bytes, over %d", rel, info.Size(), l.FileBytes))
			return nil
		}
		if total += info.Size(); l.Bytes > 0 && total > l.Bytes {
			return limit("more than %d bytes of source", l.Bytes)
		}
		src, err := readFile(path, l.FileBytes)
		if err != nil {
			return err
		}
		if ext == ".pth" {
			scanPth(rel, src, out)
			return nil
		}
		scanPython(rel, isSetup(rel), src, out)
		return nil
	})
	if werr != nil && !errors.Is(werr, errStop) {
		return nil, fmt.Errorf("scan %s: %w", root, werr)
	}
	if out.dropped > 0 {
		out.list = append(out.list, checkreport.Finding{Task: checkreport.StepScan, Kind: checkreport.Limit,
			Severity: out.worst, Detail: fmt.Sprintf("%d more findings not listed", out.dropped)})
	}
	return out.list, nil
}

func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.Reader(f)
	if limit > 0 {
		r = io.LimitReader(f, limit)
	}
	return io.ReadAll(r)
}

// isSetup reports whether rel is the setup.py of an sdist: at the root of the folder or
// of its one top folder (name-version/setup.py).
func isSetup(rel string) bool {
	return rel == "setup.py" || strings.Count(rel, "/") == 1 && strings.HasSuffix(rel, "/setup.py")
}

// scanPython runs the rules on one Python file.
func scanPython(rel string, setup bool, src []byte, out *collector) {
	m, _ := pysource.Parse(src) // a syntax error is lint's business; the tree is still read
	newFileScan(rel, setup, out).run(m)
}

// scanPth reports a shipped .pth file: site.py runs its lines that start with "import".
func scanPth(rel string, src []byte, out *collector) {
	var imports [][]byte
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64<<10), len(src)+1)
	line, first := 0, 0
	for sc.Scan() {
		line++
		if b := sc.Bytes(); bytes.HasPrefix(b, []byte("import ")) || bytes.HasPrefix(b, []byte("import\t")) {
			imports = append(imports, b)
			if first == 0 {
				first = line
			}
		}
	}
	if len(imports) == 0 {
		out.add(checkreport.Pth, checkreport.Low, rel+": ships a .pth file (paths only)")
		return
	}
	code := bytes.Join(imports, []byte("\n"))
	if what := pthRisk(code); what != "" {
		out.add(checkreport.Pth, checkreport.High, fmt.Sprintf("%s:%d: a .pth file whose import lines %s at every interpreter start", rel, first, what))
		return
	}
	out.add(checkreport.Pth, checkreport.Medium, fmt.Sprintf("%s:%d: a .pth file with import lines (run at every interpreter start)", rel, first))
}

// pthRisk says what a .pth file's import lines do that makes them high, or "".
func pthRisk(code []byte) string {
	m, _ := pysource.Parse(code)
	f := newFileScan("", false, &collector{max: 1, seen: map[string]bool{}})
	f.collect(m.Body, "", "")
	for _, imp := range pysource.Imports(m) {
		if nm := networkModule(imp.Module); nm != "" {
			return "import " + nm
		}
	}
	for _, u := range f.units {
		u.match = matchParens(u.toks, nil)
		for _, c := range calls(u.toks, u.match, f.resolve, nil) {
			switch {
			case execCalls[c.name]:
				return "call " + c.name
			case isDecoder(c.name):
				return "decode data (" + strings.TrimPrefix(c.name, ".") + ")"
			case isNetworkCall(c.name):
				return "use the network (" + c.name + ")"
			case subprocessCalls[c.name]:
				return "run " + c.name
			}
		}
	}
	return ""
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.Files == 0 {
		l.Files = d.Files
	}
	if l.FileBytes == 0 {
		l.FileBytes = d.FileBytes
	}
	if l.Bytes == 0 {
		l.Bytes = d.Bytes
	}
	if l.Findings == 0 {
		l.Findings = d.Findings
	}
	if l.Time == 0 {
		l.Time = d.Time
	}
	return l
}
