package strace

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Limits bound the parser's memory; the zero value means the defaults.
type Limits struct {
	// Line is how many bytes of one line are kept (default 256 KiB); the rest of a longer
	// line is skipped, but for its last Tail bytes.
	Line int
	// Tail is how many bytes of a cut line's end are kept for its result (default 4 KiB).
	Tail int
	// Pending is how many bytes of unfinished calls are held at once over all pids
	// (default 16 MiB); past it, an unfinished call keeps only its first Tail bytes.
	Pending int
}

func (l Limits) withDefaults() Limits {
	if l.Line <= 0 {
		l.Line = 256 << 10
	}
	if l.Tail <= 0 {
		l.Tail = 4 << 10
	}
	if l.Pending <= 0 {
		l.Pending = 16 << 20
	}
	return l
}

// Parser reads strace output. The zero value is ready to use.
type Parser struct {
	Limits Limits
	// PID is the pid of lines with no pid prefix (a -ff per-pid file).
	PID int
}

// Parse reads strace output from r and calls fn with each event, in the order the
// events end; fn must not keep the Event. A call split over two lines is one event,
// given when it resumes. Parse stops at fn's first error and returns it, or at r's
// error; lines that are not strace output are given as Malformed events, not errors.
func Parse(r io.Reader, fn func(*Event) error) error { return (&Parser{}).Parse(r, fn) }

type pend struct {
	name string
	text string // the call from its name up to where it was interrupted
	line int
	cut  bool
}

// Parse is the package's Parse with p's limits and default pid.
func (p *Parser) Parse(r io.Reader, fn func(*Event) error) error {
	lim := p.Limits.withDefaults()
	lr := newLineReader(r, lim.Line, lim.Tail)
	pending := map[int]*pend{}
	held := 0
	emit := func(ev *Event) error { return fn(ev) }
	flush := func(pid int) error {
		pd := pending[pid]
		if pd == nil {
			return nil
		}
		delete(pending, pid)
		held -= len(pd.text)
		ev := &Event{PID: pid, Line: pd.line}
		text := pd.text
		if !pd.cut {
			text += ") = ?" // its arguments are whole: it was cut only by the process's end
		}
		parseCall(ev, text, "", pd.cut)
		ev.Ret, ev.Killed, ev.Truncated = "?", true, pd.cut
		return emit(ev)
	}
	for n := 1; ; n++ {
		l, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read trace: %w", err)
		}
		text := string(l.head)
		tail := ""
		if l.cut {
			tail = string(l.tail)
		}
		pid, text := splitPID(text, p.PID)
		ev := &Event{PID: pid, Line: n, Truncated: l.cut}
		end := text
		if l.cut {
			end = tail
		}
		switch {
		case strings.HasPrefix(text, "+++ "):
			parseExit(ev, text)
			if err := flush(pid); err != nil {
				return err
			}
		case strings.HasPrefix(text, "--- "):
			parseSignal(ev, text)
		case strings.HasPrefix(text, "<... "):
			name, after, ok := strings.Cut(text[len("<... "):], " resumed>")
			if !ok {
				ev.Malformed = true
				break
			}
			after = strings.TrimPrefix(after, " <unfinished ...>")
			call, cut := name+"(", l.cut
			if pd := pending[pid]; pd != nil && pd.name == name {
				delete(pending, pid)
				held -= len(pd.text)
				call = pd.text
				if pd.cut {
					cut = true
					after = "" // the held part ends mid-argument: nothing joins it
				}
			}
			if len(call)+len(after) > lim.Line {
				after, cut = after[:max(0, lim.Line-len(call))], true
			}
			call += after
			if cut {
				tail = end // the result is at the end of the resumed line
			}
			ev.Truncated = cut
			if strings.HasSuffix(end, " <unfinished ...>") {
				if !cut {
					call = strings.TrimSuffix(call, " <unfinished ...>")
				}
				held += p.hold(pending, pid, &pend{name: name, text: call, line: n, cut: cut}, lim, held)
				continue
			}
			parseCall(ev, call, tail, cut)
		case strings.HasSuffix(end, " <unfinished ...>"):
			if err := flush(pid); err != nil {
				return err
			}
			if !l.cut {
				text = strings.TrimSuffix(text, " <unfinished ...>")
			}
			name, _, _ := strings.Cut(text, "(")
			held += p.hold(pending, pid, &pend{name: name, text: text, line: n, cut: l.cut}, lim, held)
			continue
		default:
			parseCall(ev, text, tail, l.cut)
		}
		if err := emit(ev); err != nil {
			return err
		}
	}
	pids := make([]int, 0, len(pending))
	for pid := range pending {
		pids = append(pids, pid)
	}
	sort.Slice(pids, func(i, j int) bool { return pending[pids[i]].line < pending[pids[j]].line })
	for _, pid := range pids {
		if err := flush(pid); err != nil {
			return err
		}
	}
	return nil
}

// hold keeps an unfinished call, cut to Tail bytes when the pending calls already hold
// more than the limit; it returns the bytes it added.
func (p *Parser) hold(pending map[int]*pend, pid int, pd *pend, lim Limits, held int) int {
	if held+len(pd.text) > lim.Pending && len(pd.text) > lim.Tail {
		pd.text, pd.cut = pd.text[:lim.Tail], true
	}
	pd.text = strings.Clone(pd.text)
	pending[pid] = pd
	return len(pd.text)
}

// splitPID takes the pid prefix off a line: "123 ", "123   " (strace pads it) or
// "[pid  123] ". A line without one belongs to def.
func splitPID(s string, def int) (int, string) {
	if strings.HasPrefix(s, "[pid ") {
		rest := strings.TrimLeft(s[len("[pid "):], " ")
		num, after, ok := strings.Cut(rest, "]")
		if pid, err := strconv.Atoi(num); ok && err == nil {
			return pid, strings.TrimLeft(after, " ")
		}
		return def, s
	}
	i := 0
	for i < len(s) && i < 10 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != ' ' {
		return def, s
	}
	pid, err := strconv.Atoi(s[:i])
	if err != nil {
		return def, s
	}
	return pid, strings.TrimLeft(s[i:], " ")
}

// parseExit reads "+++ exited with 3 +++" and "+++ killed by SIGKILL (core dumped) +++".
func parseExit(ev *Event, s string) {
	body := strings.TrimSuffix(strings.TrimPrefix(s, "+++ "), " +++")
	switch {
	case strings.HasPrefix(body, "exited with "):
		n, err := strconv.Atoi(strings.TrimPrefix(body, "exited with "))
		if err != nil {
			ev.Malformed = true
			return
		}
		ev.Exited = &n
	case strings.HasPrefix(body, "killed by "):
		sig, _, _ := strings.Cut(strings.TrimPrefix(body, "killed by "), " ")
		ev.Signal = sig
	case strings.HasPrefix(body, "superseded by execve"):
		// a thread's execve took over the process; the new image goes on under the pid
	default:
		ev.Malformed = true
	}
}

// parseSignal reads "--- SIGCHLD {si_signo=...} ---" and "--- stopped by SIGSTOP ---".
func parseSignal(ev *Event, s string) {
	body := strings.TrimPrefix(s, "--- ")
	body = strings.TrimPrefix(body, "stopped by ")
	sig, _, _ := strings.Cut(body, " ")
	if !strings.HasPrefix(sig, "SIG") {
		ev.Malformed = true
		return
	}
	ev.Signal = sig
}

// ParseFiles parses the output of `strace -ff -o prefix`: prefix itself when it exists
// and every prefix.PID file, each with its pid from the name. Events come file by file
// (ordered within each pid, not across pids).
func ParseFiles(prefix string, lim Limits, fn func(*Event) error) error {
	matches, err := filepath.Glob(globEscape(prefix) + ".*")
	if err != nil {
		return fmt.Errorf("list traces %s: %w", prefix, err)
	}
	type file struct {
		path string
		pid  int
	}
	var files []file
	if _, err := os.Stat(prefix); err == nil {
		files = append(files, file{prefix, 0})
	}
	for _, m := range matches {
		pid, err := strconv.Atoi(strings.TrimPrefix(m, prefix+"."))
		if err == nil && pid > 0 {
			files = append(files, file{m, pid})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].pid < files[j].pid })
	for _, f := range files {
		fh, err := os.Open(f.path)
		if err != nil {
			return fmt.Errorf("open trace: %w", err)
		}
		err = (&Parser{Limits: lim, PID: f.pid}).Parse(fh, fn)
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
	}
	return nil
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
