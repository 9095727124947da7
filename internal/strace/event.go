package strace

import "strings"

// Event is one line of the trace (two merged lines for a call that was interrupted by
// another pid's output): a system call, a signal delivered, or a process's end.
type Event struct {
	PID  int    // the pid as strace printed it (strace's pid namespace)
	Line int    // the line number where the event ended (1-based)
	Name string // the system call; "" for a signal or exit line
	Args []Arg  // the top-level arguments, in order
	// Ret is the raw result: "0", "-1", "3", "0x7f00", "?" (no result: the process
	// ended inside the call).
	Ret string
	// RetPath is the -yy annotation of an fd result: the path an open really opened.
	RetPath string
	Errno   string // "ENOENT" when the call failed
	// Child is the new process of a clone, fork or vfork, in strace's numbering (the
	// translated pid when strace prints one).
	Child int
	// Killed: the call never returned (`= ?`, or `<unfinished ...>` never resumed).
	Killed bool
	// Exited is the status of "+++ exited with N +++"; Signal names the signal of a
	// "--- SIGxxx ---" line or of "+++ killed by SIGxxx +++".
	Exited *int
	Signal string
	// Truncated: the line was longer than the parser's limit; the arguments past the cut
	// are missing (the result, at the line's end, is kept).
	Truncated bool
	// Malformed: the line did not read as strace output; Name and Args may be empty.
	Malformed bool
}

// Failed reports whether the call returned an error.
func (e *Event) Failed() bool { return e.Errno != "" || strings.HasPrefix(e.Ret, "-") }

// Arg returns the i-th argument, or a zero Arg past the end (a truncated line).
func (e *Event) Arg(i int) Arg {
	if i < 0 || i >= len(e.Args) {
		return Arg{}
	}
	return e.Args[i]
}

// Arg is one argument as strace printed it.
type Arg struct {
	Raw string // the text as printed
	// Str is the unescaped string of a quoted argument; Quoted says it was one, Elided
	// that strace cut it (it ended with "...").
	Str    string
	Quoted bool
	Elided bool
	// Path is the unescaped -yy annotation of an fd argument ("3</etc/passwd>",
	// "AT_FDCWD</home/u>", "4<TCP:[1.2.3.4:5->6.7.8.9:80]>"): the text inside <>.
	Path string
}

// Strings returns the quoted strings at the top level of an array argument (execve's
// argv: ["sh", "-c", "id"]).
func (a Arg) Strings() []string {
	s := a.Raw
	if !strings.HasPrefix(s, "[") {
		return nil
	}
	var out []string
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '{', '(':
			depth++
		case ']', '}', ')':
			depth--
		case '"':
			end := quoteEnd(s, i)
			if depth == 1 {
				out = append(out, unescape(s[i+1:end]))
			}
			if end >= len(s) {
				return out
			}
			i = end
		}
	}
	return out
}
