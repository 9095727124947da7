package scan

import (
	"fmt"
	"strings"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/pysource"
)

// unit is one token sequence the rules read: a simple statement, a clause header or a
// decorator, with where it sits.
type unit struct {
	toks    []pysource.Token
	line    int
	keyword string // "" for a simple statement, the clause keyword for a header, "@" for a decorator
	def     string // the innermost enclosing def
	cmd     string // setup.py: the command base of the innermost enclosing class ("" none)
	match   []int
	calls   []call
}

// marks says, for each token of the unit being read, why it counts (decoded data,
// secret data), with next[i] the first marked index >= i for O(1) range questions.
type marks struct {
	why  []string
	next []int32
}

func (m *marks) reset(n int) {
	m.why = append(m.why[:0], make([]string, n)...)
	m.next = append(m.next[:0], make([]int32, n+1)...)
}

func (m *marks) set(i int, why string) {
	if m.why[i] == "" {
		m.why[i] = why
	}
}

func (m *marks) finish() {
	n := len(m.why)
	m.next[n] = int32(n)
	for i := n - 1; i >= 0; i-- {
		if m.why[i] != "" {
			m.next[i] = int32(i)
		} else {
			m.next[i] = m.next[i+1]
		}
	}
}

// first returns why of the first mark in [a, b).
func (m *marks) first(a, b int) (string, bool) {
	if a < 0 || a >= len(m.why) {
		return "", false
	}
	if j := int(m.next[a]); j < b && j < len(m.why) {
		return m.why[j], true
	}
	return "", false
}

// fileScan is the analysis of one Python file.
type fileScan struct {
	rel     string
	setup   bool
	aliases map[string]string
	decoded map[string]string // names holding decoded data, or defs returning it -> where it came from
	secret  map[string]string // names holding secret data, or defs returning it -> where it came from
	netObj  map[string]bool   // names bound to network objects (sockets, sessions, responses)
	units   []*unit
	dec     marks
	sec     marks

	netUse      string // the first network module or call of the file
	netUseLine  int
	netCalled   bool   // a network call, not only an import
	credWhat    string // the first credential store named
	credLine    int
	environLine int // the first dump of the environment
	exfil       bool
	out         *collector
}

func newFileScan(rel string, setup bool, out *collector) *fileScan {
	return &fileScan{rel: rel, setup: setup, aliases: map[string]string{}, decoded: map[string]string{},
		secret: map[string]string{}, netObj: map[string]bool{}, out: out}
}

func (f *fileScan) resolve(name string) string {
	if q, ok := f.aliases[name]; ok {
		return q
	}
	return name
}

func (f *fileScan) add(kind checkreport.Kind, sev checkreport.Severity, line int, format string, a ...any) {
	f.out.add(kind, sev, fmt.Sprintf("%s:%d: %s", f.rel, line, fmt.Sprintf(format, a...)))
}

// run analyses a parsed module.
func (f *fileScan) run(m *pysource.Module) {
	f.collect(m.Body, "", "")
	for _, imp := range pysource.Imports(m) {
		if imp.Level > 0 {
			continue
		}
		mods := []string{imp.Module}
		for _, n := range imp.Names {
			mods = append(mods, imp.Module+"."+n)
		}
		for _, q := range mods {
			if nm := networkModule(q); nm != "" && f.netUse == "" {
				f.netUse, f.netUseLine = "imports "+nm, imp.Line
			}
		}
	}
	for _, u := range f.units {
		u.match = matchParens(u.toks, nil)
		u.calls = calls(u.toks, u.match, f.resolve, nil)
	}
	// Names take on what is assigned to them, until nothing changes (a few passes: the
	// analysis is flow-insensitive, so a later assignment counts for an earlier use).
	for pass := 0; pass < 4; pass++ {
		changed := false
		for _, u := range f.units {
			f.mark(u)
			changed = f.propagate(u) || changed
		}
		if !changed {
			break
		}
	}
	for _, u := range f.units {
		f.mark(u)
		f.rules(u)
	}
	f.summary()
}

// collect flattens the statements into units and records the imports' names.
func (f *fileScan) collect(body []*pysource.Stmt, def, cmd string) {
	for _, s := range body {
		if s.Import != nil && s.Import.Level == 0 {
			for _, a := range s.Import.Names {
				switch {
				case a.Name == "*":
				case s.Import.From && a.As != "":
					f.aliases[a.As] = s.Import.Module + "." + a.Name
				case s.Import.From:
					f.aliases[a.Name] = s.Import.Module + "." + a.Name
				case a.As != "":
					f.aliases[a.As] = a.Name
				}
			}
		}
		if s.Tokens != nil && !docstring(s.Tokens) {
			f.units = append(f.units, &unit{toks: s.Tokens, line: s.Line, def: def, cmd: cmd})
		}
		for _, d := range s.Decorators {
			if len(d) > 0 {
				f.units = append(f.units, &unit{toks: d, line: int(d[0].Line), keyword: "@", def: def, cmd: cmd})
			}
		}
		innerDef, innerCmd := def, cmd
		switch s.Kind {
		case pysource.Def:
			innerDef = s.Name
		case pysource.Class:
			if f.setup && len(s.Clauses) > 0 {
				innerCmd = f.commandBase(s.Clauses[0].Header)
			}
		}
		for _, c := range s.Clauses {
			if len(c.Header) > 0 {
				f.units = append(f.units, &unit{toks: c.Header, line: c.Line, keyword: c.Keyword, def: def, cmd: cmd})
			}
			f.collect(c.Body, innerDef, innerCmd)
		}
	}
}

// commandBase returns the setuptools command a class header derives from, or "".
func (f *fileScan) commandBase(h []pysource.Token) string {
	for i := 0; i < len(h); i++ {
		if h[i].Kind != pysource.Name || i > 0 && isOp(h[i-1], ".") {
			continue
		}
		j := chain(h, i)
		if b := last(resolveChain(chainText(h, i, j), f.resolve)); commandBases[b] && i > 0 {
			return b
		}
		i = j - 1
	}
	return ""
}

func docstring(toks []pysource.Token) bool {
	for _, t := range toks {
		if t.Kind != pysource.String {
			return false
		}
	}
	return true
}

// mark fills f.dec and f.sec for u.
func (f *fileScan) mark(u *unit) {
	toks := u.toks
	f.dec.reset(len(toks))
	f.sec.reset(len(toks))
	for _, c := range u.calls {
		if isDecoder(c.name) {
			f.dec.set(c.at, strings.TrimPrefix(c.name, "."))
		}
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.Kind {
		case pysource.Name:
			if i > 0 && isOp(toks[i-1], ".") {
				continue
			}
			j := chain(toks, i)
			for k, parts := i+1, 0; k <= j && parts < 3; k, parts = k+2, parts+1 {
				key := chainText(toks, i, k)
				if from, ok := f.decoded[key]; ok {
					f.dec.set(i, key+" from "+from)
				}
				if from, ok := f.secret[key]; ok {
					f.sec.set(i, key+" from "+from)
				}
			}
			if f.environDump(u, i, j) {
				f.sec.set(i, "the environment (os.environ)")
				if f.environLine == 0 {
					f.environLine = int(t.Line)
				}
			}
			i = j - 1
		case pysource.String, pysource.FStringMiddle:
			v, ok := literal(t)
			if !ok {
				continue
			}
			if codecNames[strings.ToLower(v)] {
				f.dec.set(i, "the "+v+" codec")
			}
			if what := credential(v); what != "" {
				f.sec.set(i, what)
				if f.credWhat == "" {
					f.credWhat, f.credLine = what, int(t.Line)
				}
			}
		case pysource.Op:
			if t.Text == "[" && i+5 < len(toks) && isOp(toks[i+1], ":") && isOp(toks[i+2], ":") &&
				isOp(toks[i+3], "-") && toks[i+4].Text == "1" && isOp(toks[i+5], "]") {
				f.dec.set(i, "a reversed string")
			}
		}
	}
	f.dec.finish()
	f.sec.finish()
}

// environDump reports whether the chain toks[i:j] is os.environ taken as a whole:
// copied, iterated, converted or passed on, rather than one variable read or written,
// a membership test, or the env= of a subprocess.
func (f *fileScan) environDump(u *unit, i, j int) bool {
	toks := u.toks
	q := resolveChain(chainText(toks, i, j), f.resolve)
	var rest string
	switch {
	case q == "os.environ":
		if j < len(toks) && (isOp(toks[j], "[") || isOp(toks[j], "=")) {
			return false
		}
	case strings.HasPrefix(q, "os.environ."):
		rest = strings.TrimPrefix(q, "os.environ.")
		if environAccess[rest] {
			return false
		}
	default:
		return false
	}
	k := i
	if k > 0 && isName(toks[k-1], "in") && u.keyword != "for" {
		return false
	}
	if k >= 2 && isOp(toks[k-1], "(") && isName(toks[k-2], "dict") {
		k -= 2
	} else if k >= 2 && isOp(toks[k-1], "**") && isOp(toks[k-2], "{") {
		k -= 2
	}
	if k >= 2 && isOp(toks[k-1], "=") && isName(toks[k-2], "env") {
		return false
	}
	return true
}

// propagate gives the names u binds what their value holds; it reports a change.
func (f *fileScan) propagate(u *unit) bool {
	toks := u.toks
	changed := false
	bind := func(targets []pysource.Token, a, b int) {
		dec, _ := f.dec.first(a, b)
		sec, _ := f.sec.first(a, b)
		net := false
		for _, c := range u.calls {
			if c.at >= a && c.at < b && f.isNetwork(c) {
				net = true
				break
			}
		}
		if dec == "" && sec == "" && !net {
			return
		}
		for _, name := range targetNames(targets) {
			for _, m := range []struct {
				set  map[string]string
				from string
			}{{f.decoded, dec}, {f.secret, sec}} {
				if _, ok := m.set[name]; m.from != "" && !ok && len(m.set) < maxNames {
					m.set[name] = origin(m.from)
					changed = true
				}
			}
			if net && !f.netObj[name] && len(f.netObj) < maxNames {
				f.netObj[name] = true
				changed = true
			}
		}
	}
	switch u.keyword {
	case "":
		if len(toks) > 0 && isName(toks[0], "return") && u.def != "" {
			bind([]pysource.Token{{Kind: pysource.Name, Text: u.def}}, 1, len(toks))
			return changed
		}
		depth, eq := 0, -1
		for i, t := range toks {
			if t.Kind != pysource.Op {
				continue
			}
			depth, _ = nestingOf(depth, t)
			if depth == 0 && (t.Text == "=" || len(t.Text) >= 2 && strings.HasSuffix(t.Text, "=") &&
				!strings.Contains("== != <= >= :=", t.Text)) {
				eq = i
			}
		}
		if eq > 0 {
			bind(toks[:eq], eq+1, len(toks))
		}
	case "with":
		for _, item := range splitTop(toks, 0, len(toks)) {
			for k := item[0]; k < item[1]; k++ {
				if isName(toks[k], "as") {
					bind(toks[k+1:item[1]], item[0], k)
					break
				}
			}
		}
	case "for":
		for k := range toks {
			if isName(toks[k], "in") {
				bind(toks[:k], k+1, len(toks))
				break
			}
		}
	}
	return changed
}

// maxNames bounds each name set of a file.
const maxNames = 10000

func nestingOf(depth int, t pysource.Token) (int, bool) {
	switch t.Text {
	case "(", "[", "{":
		return depth + 1, true
	case ")", "]", "}":
		return max(depth-1, 0), true
	}
	return depth, false
}

// splitTop splits toks[a:b] at the commas outside brackets, as index ranges.
func splitTop(toks []pysource.Token, a, b int) [][2]int {
	var out [][2]int
	depth, start := 0, a
	for i := a; i < b; i++ {
		if toks[i].Kind != pysource.Op {
			continue
		}
		depth, _ = nestingOf(depth, toks[i])
		if depth == 0 && toks[i].Text == "," {
			out = append(out, [2]int{start, i})
			start = i + 1
		}
	}
	return append(out, [2]int{start, b})
}

// targetNames lists the names an assignment target binds: each dotted name outside
// brackets that is not called (a, b = …; self.x = …; d["k"] = … binds d), without an
// annotation.
func targetNames(toks []pysource.Token) []string {
	var out []string
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.Kind == pysource.Op {
			if depth == 0 && t.Text == ":" {
				break
			}
			depth, _ = nestingOf(depth, t)
			continue
		}
		if t.Kind != pysource.Name || depth > 0 || i > 0 && isOp(toks[i-1], ".") {
			continue
		}
		j := chain(toks, i)
		if j < len(toks) && isOp(toks[j], "(") {
			i = j - 1
			continue
		}
		out = append(out, chainText(toks, i, j))
		i = j - 1
	}
	return out
}

// isNetwork reports whether a call is network use: a network API, or a method of a name
// bound to a network object.
func (f *fileScan) isNetwork(c call) bool {
	if isNetworkCall(c.name) {
		return true
	}
	first, _, dotted := strings.Cut(c.name, ".")
	return dotted && first != "" && f.netObj[first]
}

// rules reports what u does.
func (f *fileScan) rules(u *unit) {
	toks := u.toks
	if u.keyword == "" && len(toks) > 1 && isName(toks[0], "exec") && !isOp(toks[1], "(") {
		// Python 2's exec statement.
		if why, ok := f.dec.first(1, len(toks)); ok {
			f.add(checkreport.Obfuscation, checkreport.High, u.line, "exec of decoded data (%s)", why)
		}
	}
	for _, c := range u.calls {
		line := int(toks[c.at].Line)
		switch {
		case execCalls[c.name]:
			if why, ok := f.dec.first(c.args, c.end); ok {
				f.add(checkreport.Obfuscation, checkreport.High, line, "%s of decoded data (%s)", c.name, why)
			}
		case f.isNetwork(c):
			if f.netUse == "" || !f.netCalled {
				f.netUse, f.netUseLine, f.netCalled = "calls "+c.name, line, true
			}
			if why, ok := f.sec.first(c.args, c.end); ok {
				f.exfil = true
				f.add(checkreport.Exfiltration, checkreport.High, line, "sends %s to the network (%s)", why, c.name)
			}
			switch {
			case !f.setup:
			case u.cmd != "":
				f.add(checkreport.InstallFetch, checkreport.High, line,
					"network call %s in a setup.py command class derived from %s", c.name, u.cmd)
			default:
				f.add(checkreport.SetupNetwork, checkreport.High, line, "network call %s in setup.py", c.name)
			}
		case subprocessCalls[c.name] && f.setup:
			words := f.literals(toks, c.args, c.end)
			switch {
			case strings.Contains(words, "pip") && strings.Contains(words, "install"):
				f.add(checkreport.InstallFetch, checkreport.High, line, "%s runs pip install from setup.py", c.name)
			case installCommands[u.cmd]:
				f.add(checkreport.InstallFetch, checkreport.High, line,
					"%s in a setup.py command class derived from %s", c.name, u.cmd)
			case containsAny(words, shellWords):
				f.add(checkreport.SetupExec, checkreport.High, line, "%s runs a shell or download tool from setup.py", c.name)
			default:
				f.add(checkreport.SetupExec, checkreport.Medium, line, "%s in setup.py", c.name)
			}
		}
	}
}

// literals joins the string literals of toks[a:b] (bounded), lower-cased.
func (f *fileScan) literals(toks []pysource.Token, a, b int) string {
	var sb strings.Builder
	for i := a; i < b && i < len(toks) && sb.Len() < 4096; i++ {
		if v, ok := literal(toks[i]); ok {
			sb.WriteString(strings.ToLower(v))
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// summary reports what only the whole file shows.
func (f *fileScan) summary() {
	switch {
	case f.exfil:
	case f.netUse != "" && f.credWhat != "":
		f.add(checkreport.Exfiltration, checkreport.Medium, f.credLine,
			"names %s and %s (line %d)", f.credWhat, f.netUse, f.netUseLine)
	case f.netUse != "" && f.environLine > 0:
		f.add(checkreport.Exfiltration, checkreport.Medium, f.environLine,
			"dumps the environment and %s (line %d)", f.netUse, f.netUseLine)
	case f.credWhat != "" && f.setup:
		f.add(checkreport.ReadSecrets, checkreport.Medium, f.credLine, "setup.py names %s", f.credWhat)
	case f.credWhat != "":
		f.add(checkreport.ReadSecrets, checkreport.Low, f.credLine, "names %s", f.credWhat)
	}
	if f.setup && f.netUse != "" && !f.netCalled {
		f.add(checkreport.SetupNetwork, checkreport.Medium, f.netUseLine, "setup.py %s", f.netUse)
	}
}

// collector keeps the findings of a scan, each once, up to a bound.
type collector struct {
	max     int
	seen    map[string]bool
	list    []checkreport.Finding
	dropped int
	worst   checkreport.Severity
}

func (c *collector) add(kind checkreport.Kind, sev checkreport.Severity, detail string) {
	key := string(kind) + "\x00" + detail
	if c.seen[key] {
		return
	}
	if len(c.list) >= c.max {
		c.dropped++
		if sev.Rank() > c.worst.Rank() {
			c.worst = sev
		}
		return
	}
	c.seen[key] = true
	c.list = append(c.list, checkreport.Finding{Task: checkreport.StepScan, Kind: kind, Severity: sev, Detail: detail})
}

// origin is where a mark's data first came from: "key from data from X" reads "X".
func origin(why string) string {
	if i := strings.LastIndex(why, " from "); i >= 0 {
		return why[i+len(" from "):]
	}
	return why
}
