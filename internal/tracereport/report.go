package tracereport

import (
	"context"
	"fmt"
	"io"
	"iter"
	"path"
	"sort"
	"strings"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/strace"
)

// Policy says what a traced step may do. Paths are as the traced process sees them
// (inside the sandbox).
type Policy struct {
	// Allowed are the path prefixes where writes are fine: the install prefix, the build
	// folder, the task's output folder.
	Allowed []string
	// Temp are private scratch folders (the sandbox's /tmp): writes there are fine, but
	// files still there when the step ends are reported (info).
	Temp []string
	// Prefix is the install prefix: a .pth file written under it is a pth finding.
	Prefix string
	// Home is HOME inside the sandbox: writes there are write-outside, and its credential
	// files are secrets.
	Home string
	// Dir is the working directory the traced command started in (for relative paths
	// before the trace shows one).
	Dir string
	// Exec are the expected executables: absolute paths, or bare names that match any
	// path with that base name (the interpreter, the build tools).
	Exec []string
	// Decoys are the paths of planted decoy secrets; Secrets the decoy values whose
	// appearance in a send or in a started program's arguments is exfiltration.
	Decoys  []string
	Secrets []string
}

// Overflow is the kind of the one info finding that counts the findings past
// MaxFindings.
const Overflow checkreport.Kind = "trace-overflow"

// MaxFindings bounds the findings of one trace: past it the lowest are dropped and one
// info finding counts them.
const MaxFindings = 100

// maxHeld bounds the distinct findings and the scratch files held while reading.
const maxHeld = 10000

// Report accumulates findings over a trace's events.
type Report struct {
	task    string
	p       Policy
	seen    map[string]bool
	found   []checkreport.Finding
	dropped int

	cwd        map[int]string
	conns      strace.Connects
	resolv     bool           // /etc/resolv.conf was read
	temp       map[string]int // scratch files created and not removed, in creation order
	tempN      int
	tempLost   bool
	execFailed map[string]string // base name → errno of attempts that all failed
	execOK     map[string]bool
}

// New starts a report for the named step under p.
func New(task string, p Policy) *Report {
	return &Report{task: task, p: p, seen: map[string]bool{}, cwd: map[int]string{},
		temp: map[string]int{}, execFailed: map[string]string{}, execOK: map[string]bool{}}
}

// Findings reads every event and returns the findings.
func Findings(task string, p Policy, events iter.Seq[*strace.Event]) []checkreport.Finding {
	r := New(task, p)
	for e := range events {
		r.Observe(e)
	}
	return r.Findings()
}

// FromTrace parses strace output from rd (strace.Command's file) and returns its
// findings; ctx stops a long read.
func FromTrace(ctx context.Context, task string, p Policy, rd io.Reader) ([]checkreport.Finding, error) {
	r := New(task, p)
	err := strace.Parse(rd, func(e *strace.Event) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.Observe(e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("trace report: %w", err)
	}
	return r.Findings(), nil
}

func (r *Report) add(kind checkreport.Kind, sev checkreport.Severity, format string, a ...any) {
	detail := fmt.Sprintf(format, a...)
	if len(detail) > 300 {
		detail = detail[:300] + "…"
	}
	key := string(kind) + "\x00" + detail
	if r.seen[key] {
		return
	}
	if len(r.found) >= maxHeld {
		r.dropped++
		return
	}
	r.seen[key] = true
	r.found = append(r.found, checkreport.Finding{Task: r.task, Kind: kind, Severity: sev, Detail: detail})
}

// Findings returns what the events so far show: highest severity first, then in the
// order they happened; at most MaxFindings and one more that counts the rest.
func (r *Report) Findings() []checkreport.Finding {
	for _, c := range r.conns.Pending() {
		r.connectFinding(c)
	}
	for name, errno := range r.execFailed {
		if !r.execOK[name] {
			r.add(checkreport.Exec, execSeverity(name), "tried to run %s (%s)", name, errno)
		}
	}
	r.tempFindings()
	out := append([]checkreport.Finding(nil), r.found...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity.Rank() > out[j].Severity.Rank() })
	dropped := r.dropped
	if len(out) > MaxFindings {
		dropped += len(out) - MaxFindings
		out = out[:MaxFindings]
	}
	if dropped > 0 {
		out = append(out, checkreport.Finding{Task: r.task, Kind: Overflow, Severity: checkreport.Info,
			Detail: fmt.Sprintf("%d more findings not shown", dropped)})
	}
	return out
}

// Observe takes the next event of the trace.
func (r *Report) Observe(e *strace.Event) {
	if e.Name == "" {
		return
	}
	r.trackCwd(e)
	if c := r.conns.Observe(e); c != nil {
		r.connectFinding(c)
	}
	switch e.Name {
	case "open":
		r.open(e, e.Arg(0), e.Arg(1).Raw, false)
	case "openat":
		r.open(e, r.at(e, 0, 1), e.Arg(2).Raw, false)
	case "openat2":
		r.open(e, r.at(e, 0, 1), e.Arg(2).Raw, false)
	case "creat":
		r.open(e, e.Arg(0), "", true)
	case "truncate", "chmod", "mkdir":
		r.write(e, r.path(e, e.Arg(0)), "changed")
	case "mkdirat", "fchmodat":
		r.write(e, r.path(e, r.at(e, 0, 1)), "changed")
	case "unlink", "rmdir":
		r.write(e, r.path(e, e.Arg(0)), "deleted")
	case "unlinkat":
		r.write(e, r.path(e, r.at(e, 0, 1)), "deleted")
	case "rename":
		r.rename(e, r.path(e, e.Arg(0)), r.path(e, e.Arg(1)))
	case "renameat", "renameat2":
		r.rename(e, r.path(e, r.at(e, 0, 1)), r.path(e, r.at(e, 2, 3)))
	case "link", "symlink":
		r.write(e, r.path(e, e.Arg(1)), "created")
	case "linkat":
		r.write(e, r.path(e, r.at(e, 2, 3)), "created")
	case "symlinkat":
		r.write(e, r.path(e, r.at(e, 1, 2)), "created")
	case "execve":
		r.exec(e, r.path(e, e.Arg(0)), e.Arg(1))
	case "execveat":
		r.exec(e, r.path(e, r.at(e, 0, 1)), e.Arg(2))
	case "sendto", "sendmsg", "sendmmsg":
		r.send(e)
	}
}

// at returns the path argument pathArg of an *at call, carrying its directory fd's
// annotation so that path can resolve it.
func (r *Report) at(e *strace.Event, dirArg, pathArg int) strace.Arg {
	a := e.Arg(pathArg)
	if d := e.Arg(dirArg).Path; d != "" && strings.HasPrefix(d, "/") && !strings.HasPrefix(a.Str, "/") {
		a.Str = path.Join(d, a.Str)
	}
	return a
}

// path makes a path argument absolute against the pid's working directory.
func (r *Report) path(e *strace.Event, a strace.Arg) string {
	if !a.Quoted {
		return ""
	}
	p := a.Str
	if !strings.HasPrefix(p, "/") {
		dir := r.cwd[e.PID]
		if dir == "" {
			dir = r.p.Dir
		}
		if dir == "" {
			dir = "/"
		}
		p = path.Join(dir, p)
	}
	return path.Clean(p)
}

// trackCwd follows each pid's working directory: from the AT_FDCWD annotations -yy
// prints, from chdir and fchdir, and from the parent for a new process.
func (r *Report) trackCwd(e *strace.Event) {
	if len(r.cwd) > maxHeld {
		clear(r.cwd)
	}
	if e.Child != 0 {
		if _, ok := r.cwd[e.Child]; !ok && r.cwd[e.PID] != "" {
			r.cwd[e.Child] = r.cwd[e.PID]
		}
	}
	for _, a := range e.Args {
		if strings.HasPrefix(a.Raw, "AT_FDCWD<") && strings.HasPrefix(a.Path, "/") {
			r.cwd[e.PID] = a.Path
			break
		}
	}
	if e.Failed() {
		return
	}
	switch e.Name {
	case "chdir":
		if p := r.path(e, e.Arg(0)); p != "" {
			r.cwd[e.PID] = p
		}
	case "fchdir":
		if p := e.Arg(0).Path; strings.HasPrefix(p, "/") {
			r.cwd[e.PID] = p
		}
	}
}

// under reports whether p is prefix or inside it (on a path-component boundary: /tmpx is
// not under /tmp).
func under(p, prefix string) bool {
	prefix = path.Clean(prefix)
	return p == prefix || prefix == "/" || strings.HasPrefix(p, prefix+"/")
}

func underAny(p string, prefixes []string) bool {
	for _, pre := range prefixes {
		if pre != "" && under(p, pre) {
			return true
		}
	}
	return false
}
