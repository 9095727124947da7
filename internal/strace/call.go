package strace

import (
	"strconv"
	"strings"
)

// parseCall reads "name(arg, arg, ...) = ret" into ev. When cut, s is only the line's
// head: the arguments it completes are kept and the result is read from tail.
func parseCall(ev *Event, s, tail string, cut bool) {
	i := 0
	for i < len(s) && isIdent(s[i]) {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '(' {
		ev.Malformed = true
		return
	}
	ev.Name = s[:i]
	args, end, closed := scanArgs(s, i+1)
	ev.Args = args
	switch {
	case closed && !cut:
		if !parseRet(ev, s[end+1:]) {
			ev.Malformed = true
		}
	case cut:
		if tail != "" && !parseRet(ev, retSuffix(tail)) {
			ev.Malformed = true
		}
	default:
		// unbalanced: try the last ") = " of the line for the result
		if !parseRet(ev, retSuffix(s)) {
			ev.Malformed = true
		}
	}
	if ev.Child == 0 && isFork(ev.Name) && !ev.Failed() {
		if n, err := strconv.Atoi(ev.Ret); err == nil && n > 0 {
			ev.Child = n
		}
	}
}

func isFork(name string) bool {
	switch name {
	case "clone", "clone3", "fork", "vfork":
		return true
	}
	return false
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// scanArgs splits the arguments that start at s[i] at top-level commas, skipping quoted
// strings, -yy annotations and nested brackets. It returns the index of the closing
// parenthesis and whether it found one; without one, the last (incomplete) argument is
// dropped. Each byte is looked at once.
func scanArgs(s string, i int) (args []Arg, end int, closed bool) {
	depth, start := 0, i
	add := func(j int) {
		if raw := strings.TrimSpace(s[start:j]); raw != "" {
			args = append(args, makeArg(raw))
		}
	}
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			i = quoteEnd(s, i)
		case '<':
			if i > 0 && isIdent(s[i-1]) {
				i = annotEnd(s, i)
			}
		case '(', '[', '{':
			depth++
		case ']', '}':
			if depth > 0 {
				depth--
			}
		case ')':
			if depth == 0 {
				add(i)
				return args, i, true
			}
			depth--
		case ',':
			if depth == 0 {
				add(i)
				start = i + 1
			}
		}
	}
	return args, len(s), false
}

// quoteEnd returns the index of the quote closing the string that opens at s[i], or
// len(s) when it is not closed.
func quoteEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(s)
}

// annotEnd returns the index of the '>' closing the -yy annotation that opens at s[i]:
// a '>' inside its brackets ("TCP:[1.2.3.4:5->6.7.8.9:80]") does not close it, nor does
// the one closing a device's annotation nested in it ("3</dev/null<char 1:3>>"). Paths
// in annotations have their own '<' and '>' escaped by strace.
func annotEnd(s string, i int) int {
	depth, nest := 0, 0
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case '\\':
			j++
		case '<':
			if depth == 0 {
				nest++
			}
		case '>':
			switch {
			case depth > 0:
			case nest > 0:
				nest--
			default:
				return j
			}
		}
	}
	return len(s)
}

// annotPath is the path of an annotation's text: without the device's annotation that
// -yy nests after a device file's path ("/dev/null<char 1:3>" is /dev/null). A '<' of
// the path itself is escaped (\74), so the first '<' starts the nested one.
func annotPath(s string) string {
	if j := strings.IndexByte(s, '<'); j >= 0 {
		s = s[:j]
	}
	return unescape(s)
}

// makeArg reads one argument's text.
func makeArg(raw string) Arg {
	a := Arg{Raw: raw}
	switch {
	case raw[0] == '"':
		end := quoteEnd(raw, 0)
		a.Quoted = true
		if end < len(raw) {
			a.Str = unescape(raw[1:end])
			a.Elided = strings.HasPrefix(raw[end+1:], "...")
		} else {
			a.Str, a.Elided = unescape(raw[1:]), true
		}
	case raw[len(raw)-1] == '>':
		if j := strings.IndexByte(raw, '<'); j > 0 && isIdent(raw[j-1]) && annotEnd(raw, j) == len(raw)-1 {
			a.Path = annotPath(raw[j+1 : len(raw)-1])
		}
	}
	return a
}

// FD returns the number of an fd argument ("3</etc/passwd>" gives 3), or -1.
func (a Arg) FD() int {
	s := a.Raw
	if j := strings.IndexByte(s, '<'); j >= 0 {
		s = s[:j]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// unescape undoes strace's C escapes: \n \t \r \v \f \a \b \e \\ \" \', octal \NNN and
// hex \xNN. An unknown escape keeps its character; a trailing backslash is kept.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b = append(b, c)
			continue
		}
		i++
		switch c = s[i]; c {
		case 'n':
			b = append(b, '\n')
		case 't':
			b = append(b, '\t')
		case 'r':
			b = append(b, '\r')
		case 'v':
			b = append(b, '\v')
		case 'f':
			b = append(b, '\f')
		case 'a':
			b = append(b, '\a')
		case 'b':
			b = append(b, '\b')
		case 'e':
			b = append(b, 0x1b)
		case 'x':
			v, n := 0, 0
			for n < 2 && i+1 < len(s) && hexVal(s[i+1]) >= 0 {
				v = v*16 + hexVal(s[i+1])
				i++
				n++
			}
			if n == 0 {
				b = append(b, 'x')
			} else {
				b = append(b, byte(v))
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for n := 1; n < 3 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7'; n++ {
				v = v*8 + int(s[i+1]-'0')
				i++
			}
			b = append(b, byte(v))
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// retSuffix returns what follows the last ") = " of s (strace pads before the '='),
// or "" when there is none.
func retSuffix(s string) string {
	for end := len(s); end > 0; {
		j := strings.LastIndex(s[:end], "= ")
		if j < 0 {
			return ""
		}
		k := j - 1
		for k >= 0 && s[k] == ' ' {
			k--
		}
		if k >= 0 && s[k] == ')' && k < j-1 {
			return s[j:]
		}
		end = j
	}
	return ""
}

// parseRet reads " = ret[<annotation>] [ERRNO (text)] [/* N in strace's PID NS */]".
func parseRet(ev *Event, s string) bool {
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, "= ") {
		return false
	}
	s = strings.TrimLeft(s[2:], " ")
	i := 0
	for i < len(s) && s[i] != ' ' && s[i] != '<' {
		i++
	}
	ev.Ret, s = s[:i], s[i:]
	if ev.Ret == "" {
		return false
	}
	if ev.Ret == "?" {
		ev.Killed = true
	}
	if strings.HasPrefix(s, "<") {
		end := annotEnd(s, 0)
		if end >= len(s) {
			return false
		}
		ev.RetPath, s = annotPath(s[1:end]), s[end+1:]
	}
	s = strings.TrimLeft(s, " ")
	if strings.HasPrefix(s, "E") {
		j := 0
		for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		ev.Errno = s[:j]
	}
	if j := strings.Index(s, "/* "); j >= 0 {
		if num, _, ok := strings.Cut(s[j+3:], " in strace's PID NS */"); ok {
			if n, err := strconv.Atoi(num); err == nil && isFork(ev.Name) {
				ev.Child = n
			}
		}
	}
	return true
}

// Unescape undoes strace's C escapes in a string's text (without its quotes).
func Unescape(s string) string { return unescape(s) }

// AllStrings returns every quoted string in the argument, at any depth (the buffers
// inside sendmsg's struct).
func (a Arg) AllStrings() []string {
	if a.Quoted {
		return []string{a.Str}
	}
	var out []string
	s := a.Raw
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			end := quoteEnd(s, i)
			out = append(out, unescape(s[i+1:min(end, len(s))]))
			i = end
		}
	}
	return out
}
