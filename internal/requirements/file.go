package requirements

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
)

// File is a parsed requirements.txt.
type File struct {
	Requirements []Requirement
	IndexURLs    []string // --index-url / -i, then --extra-index-url, in order
	// IndexURL is the last --index-url / -i ("" when none was given: the caller's default
	// index); ExtraIndexURLs are the --extra-index-url values, in order.
	IndexURL       string
	ExtraIndexURLs []string
	Constraints    []Requirement
	// NoIndex is set by --no-index.
	NoIndex bool
	// FindLinks lists -f / --find-links values.
	FindLinks []string
	// Pre is set by --pre.
	Pre bool
	// Hashes maps a requirement's normalized name to the digests its --hash options allow,
	// each "algorithm:hex" (sha256, sha384 or sha512). A file with any --hash, or with
	// --require-hashes, is in pip's hash-checking mode (RequireHashes).
	Hashes        map[string][]string
	RequireHashes bool
	// Binary is what --only-binary and --no-binary allow, with pip's rules.
	Binary FormatControl
	// PreferBinary is set by --prefer-binary.
	PreferBinary bool
	// Ignored lists options that were read but have no effect in pydepot ("line: option"),
	// for the caller to warn about: nothing is accepted silently.
	Ignored []string
}

// FormatControl is pip's --only-binary / --no-binary state: sets of normalized project
// names, or ":all:".
type FormatControl struct {
	NoBinary, OnlyBinary map[string]bool
}

// Allowed reports whether wheels and sdists of the normalized project name may be used,
// as pip's FormatControl.get_allowed_formats: a name wins over ":all:", and only-binary
// over no-binary.
func (fc FormatControl) Allowed(name string) (wheel, sdist bool) {
	switch {
	case fc.OnlyBinary[name]:
		return true, false
	case fc.NoBinary[name]:
		return false, true
	case fc.OnlyBinary[":all:"]:
		return true, false
	case fc.NoBinary[":all:"]:
		return false, true
	}
	return true, true
}

// IsZero reports that no binary option was given.
func (fc FormatControl) IsZero() bool { return len(fc.NoBinary) == 0 && len(fc.OnlyBinary) == 0 }

// add applies one --only-binary (target = OnlyBinary) or --no-binary value, as pip's
// handle_mutual_excludes: ":all:" clears both sets, ":none:" clears the target, a name
// moves to the target.
func (fc *FormatControl) add(value string, only bool) error {
	if fc.NoBinary == nil {
		fc.NoBinary, fc.OnlyBinary = map[string]bool{}, map[string]bool{}
	}
	target, other := fc.NoBinary, fc.OnlyBinary
	if only {
		target, other = other, target
	}
	if value == "" || strings.HasPrefix(value, "-") {
		return fmt.Errorf("--no-binary / --only-binary need a value (:all:, :none: or project names)")
	}
	for _, n := range strings.Split(value, ",") {
		n = strings.TrimSpace(n)
		switch n {
		case ":all:":
			clear(target)
			clear(other)
			target[":all:"] = true
		case ":none:":
			clear(target)
		case "":
		default:
			if !names.Valid(n) {
				return fmt.Errorf("--no-binary / --only-binary: %q is not a project name", n)
			}
			norm := names.Normalize(n)
			delete(other, norm)
			target[norm] = true
		}
	}
	return nil
}

// maxHashes bounds the --hash options of one requirement.
const maxHashes = 64

// checkHash reads "algorithm:value" and returns it lower-cased. As pip, the parser
// only checks the form; the algorithm and the digest's length are the caller's to check
// (CheckHash).
func checkHash(v string) (string, error) {
	alg, hexd, ok := strings.Cut(v, ":")
	if !ok || alg == "" || hexd == "" || strings.ContainsAny(v, " \t") {
		return "", fmt.Errorf("--hash=%s: want ALGORITHM:HEX, e.g. sha256:…", v)
	}
	return strings.ToLower(alg) + ":" + strings.ToLower(hexd), nil
}

var hashLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// CheckHash validates a digest as File.Hashes holds it: sha256, sha384 or sha512, and
// the right number of hex digits. Errors wrap errs.ErrInvalid.
func CheckHash(h string) error {
	alg, hexd, _ := strings.Cut(h, ":")
	n, known := hashLen[alg]
	if !known {
		return fmt.Errorf("--hash=%s: unknown algorithm %q (want sha256, sha384 or sha512): %w", h, alg, errs.ErrInvalid)
	}
	if len(hexd) != n || strings.Trim(hexd, "0123456789abcdef") != "" {
		return fmt.Errorf("--hash=%s: a %s digest is %d hex digits: %w", h, alg, n, errs.ErrInvalid)
	}
	return nil
}

// maxIncludeDepth bounds -r/-c nesting.
const maxIncludeDepth = 20

// commentRe is compiled on first use, not at every start of the binary.
var commentRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|\s+)#.*$`) })

// ParseFile parses requirements.txt text: comments, line continuations, -r/-c includes
// (resolved through open, relative to the including file), --index-url,
// --extra-index-url, --no-index, --find-links, --pre, --hash and --require-hashes,
// --only-binary, --no-binary and --prefer-binary, all recorded in File for the caller to
// enforce. Errors name the line.
//
// Editable requirements (-e), local paths, archive file names and bare URLs are
// rejected: pydepot resolves names against an index. Options that only tune pip
// (--trusted-host, --use-feature, and --config-settings, --global-option after a
// requirement) have no effect and are listed in File.Ignored. Errors wrap
// errs.ErrInvalid, or the error of open.
func ParseFile(name string, data []byte, open func(name string) ([]byte, error)) (*File, error) {
	st := &fileState{open: open}
	if err := st.parse(name, data, false, []string{name}); err != nil {
		return nil, err
	}
	f := &st.f
	f.IndexURL = st.index
	f.ExtraIndexURLs = slices.Clone(f.IndexURLs)
	if st.index != "" {
		f.IndexURLs = append([]string{st.index}, f.IndexURLs...)
	}
	if len(f.Hashes) > 0 {
		f.RequireHashes = true
	}
	return f, nil
}

type fileState struct {
	f     File
	index string // last --index-url
	open  func(string) ([]byte, error)
}

type logicalLine struct {
	num  int
	text string
}

// joinLines applies pip's rules: a line ending in a backslash continues on the next
// one, unless it is a comment line.
func joinLines(data []byte) []logicalLine {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	raw := strings.Split(text, "\n")
	var out []logicalLine
	var cur []string
	first := 0
	for i, l := range raw {
		n := i + 1
		isComment := commentRe().MatchString(l) && strings.HasPrefix(strings.TrimLeft(l, " \t"), "#")
		if !strings.HasSuffix(l, `\`) || isComment {
			if isComment {
				l = " " + l
			}
			if cur != nil {
				cur = append(cur, l)
				out = append(out, logicalLine{first, strings.Join(cur, "")})
				cur = nil
			} else {
				out = append(out, logicalLine{n, l})
			}
			continue
		}
		if cur == nil {
			first = n
		}
		cur = append(cur, strings.TrimRight(strings.TrimLeft(l, `\`), `\`))
	}
	if cur != nil {
		out = append(out, logicalLine{first, strings.Join(cur, "")})
	}
	return out
}

func (st *fileState) parse(name string, data []byte, constraint bool, stack []string) error {
	for _, ll := range joinLines(data) {
		line := strings.TrimSpace(commentRe().ReplaceAllString(ll.text, ""))
		if line == "" {
			continue
		}
		if err := st.line(name, ll.num, line, constraint, stack); err != nil {
			return err
		}
	}
	return nil
}

func lineErr(name string, num int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %w", name, num, fmt.Sprintf(format, args...), errs.ErrInvalid)
}

// splitArgsOptions splits a line at the first space-separated token starting with "-",
// as pip does.
func splitArgsOptions(line string) (args, opts string) {
	tokens := strings.Split(line, " ")
	for i, t := range tokens {
		if strings.HasPrefix(t, "-") {
			return strings.Join(tokens[:i], " "), strings.Join(tokens[i:], " ")
		}
	}
	return line, ""
}

func (st *fileState) line(name string, num int, line string, constraint bool, stack []string) error {
	args, opts := splitArgsOptions(line)
	if args != "" {
		hashes, ignored, err := checkRequirementOptions(opts)
		if err != nil {
			return lineErr(name, num, "%v", err)
		}
		r, err := parseRequirementArg(args)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, num, err)
		}
		for _, o := range ignored {
			st.f.Ignored = append(st.f.Ignored, fmt.Sprintf("%s:%d: %s", name, num, o))
		}
		if len(hashes) > 0 {
			if st.f.Hashes == nil {
				st.f.Hashes = map[string][]string{}
			}
			n := names.Normalize(r.Name)
			for _, h := range hashes {
				if !slices.Contains(st.f.Hashes[n], h) {
					st.f.Hashes[n] = append(st.f.Hashes[n], h)
				}
			}
		}
		if constraint {
			st.f.Constraints = append(st.f.Constraints, r)
		} else {
			st.f.Requirements = append(st.f.Requirements, r)
		}
		return nil
	}
	toks, err := shellSplit(opts)
	if err != nil {
		return lineErr(name, num, "%v", err)
	}
	for i := 0; i < len(toks); i++ {
		opt, val, hasVal := toks[i], "", false
		// --long=value, -rfile, -r file
		if strings.HasPrefix(opt, "--") {
			if k, v, ok := strings.Cut(opt, "="); ok {
				opt, val, hasVal = k, v, true
			}
		} else if len(opt) > 2 {
			opt, val, hasVal = opt[:2], strings.TrimPrefix(opt[2:], "="), true
		}
		takes, known := optionArity[opt]
		if !known {
			return lineErr(name, num, "unknown option %s", opt)
		}
		if takes && !hasVal {
			if i+1 >= len(toks) {
				return lineErr(name, num, "option %s needs a value", opt)
			}
			i++
			val = toks[i]
		}
		if !takes && hasVal {
			return lineErr(name, num, "option %s takes no value", opt)
		}
		switch opt {
		case "-e", "--editable":
			return lineErr(name, num, "editable requirements (-e %s) are not supported; publish the project to an index and require it by name", val)
		case "-r", "--requirement", "-c", "--constraint":
			if err := st.include(name, num, val, constraint || opt == "-c" || opt == "--constraint", stack); err != nil {
				return err
			}
		case "-i", "--index-url":
			st.index = val
		case "--extra-index-url":
			if !slices.Contains(st.f.IndexURLs, val) {
				st.f.IndexURLs = append(st.f.IndexURLs, val)
			}
		case "--no-index":
			st.f.NoIndex = true
		case "-f", "--find-links":
			st.f.FindLinks = append(st.f.FindLinks, val)
		case "--pre":
			st.f.Pre = true
		case "--require-hashes":
			st.f.RequireHashes = true
		case "--only-binary", "--no-binary":
			if err := st.f.Binary.add(val, opt == "--only-binary"); err != nil {
				return lineErr(name, num, "%v", err)
			}
		case "--prefer-binary":
			st.f.PreferBinary = true
		case "--trusted-host", "--use-feature":
			st.f.Ignored = append(st.f.Ignored, fmt.Sprintf("%s:%d: %s %s", name, num, opt, val))
		case "--hash":
			return lineErr(name, num, "--hash must follow a requirement on the same line")
		}
	}
	return nil
}

// optionArity lists the accepted options and whether each takes a value.
var optionArity = map[string]bool{
	"-r": true, "--requirement": true,
	"-c": true, "--constraint": true,
	"-e": true, "--editable": true,
	"-i": true, "--index-url": true,
	"--extra-index-url": true,
	"--no-index":        false,
	"-f":                true, "--find-links": true,
	"--pre":            false,
	"--trusted-host":   true,
	"--prefer-binary":  false,
	"--only-binary":    true,
	"--no-binary":      true,
	"--require-hashes": false,
	"--use-feature":    true,
	"--hash":           true,
}

// checkRequirementOptions reads the per-requirement options pip allows after a
// requirement: the --hash values (validated, "algorithm:hex"), and the options that have
// no effect in pydepot ("--config-settings X"), for the caller to report.
func checkRequirementOptions(opts string) (hashes, ignored []string, err error) {
	if opts == "" {
		return nil, nil, nil
	}
	toks, err := shellSplit(opts)
	if err != nil {
		return nil, nil, err
	}
	for i := 0; i < len(toks); i++ {
		k, v, hasVal := strings.Cut(toks[i], "=")
		switch k {
		case "--hash", "--config-settings", "--global-option", "--install-option":
			if !hasVal {
				i++
				if i >= len(toks) {
					return nil, nil, fmt.Errorf("option %s needs a value", k)
				}
				v = toks[i]
			}
			if k != "--hash" {
				ignored = append(ignored, k+" "+v)
				continue
			}
			h, err := checkHash(v)
			if err != nil {
				return nil, nil, err
			}
			if len(hashes) >= maxHashes {
				return nil, nil, fmt.Errorf("more than %d --hash options on one requirement", maxHashes)
			}
			hashes = append(hashes, h)
		default:
			return nil, nil, fmt.Errorf("option %s is not allowed after a requirement", k)
		}
	}
	return hashes, ignored, nil
}

var archiveSuffixes = []string{".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".tar"}

// parseRequirementArg parses the requirement part of a line, rejecting what pip would
// treat as a path or a bare URL.
func parseRequirementArg(s string) (Requirement, error) {
	notByName := func(what string) error {
		return fmt.Errorf("%s %q is not supported; require the project by name (NAME @ URL for a direct URL): %w", what, s, errs.ErrInvalid)
	}
	r, err := Parse(s)
	if err != nil {
		switch {
		case strings.Contains(s, "://") && !strings.Contains(s, "@"):
			return r, notByName("a bare URL")
		case strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~") ||
			strings.Contains(s, `\`) || (strings.Contains(s, "/") && !strings.Contains(s, "@")):
			return r, notByName("a local path")
		}
		return r, err
	}
	if len(r.Specifiers) == 0 && r.URL == "" {
		low := strings.ToLower(r.Name)
		for _, suf := range archiveSuffixes {
			if strings.HasSuffix(low, suf) {
				return r, notByName("an archive file name")
			}
		}
	}
	return r, nil
}

func (st *fileState) include(parent string, num int, target string, constraint bool, stack []string) error {
	if len(stack) > maxIncludeDepth {
		return lineErr(parent, num, "includes nested more than %d deep", maxIncludeDepth)
	}
	full := target
	if !strings.Contains(target, "://") && !path.IsAbs(target) {
		full = path.Join(path.Dir(parent), target)
	}
	if slices.Contains(stack, full) {
		return lineErr(parent, num, "include cycle: %s includes %s again", parent, full)
	}
	if st.open == nil {
		return lineErr(parent, num, "cannot include %s: no way to open included files", target)
	}
	data, err := st.open(full)
	if err != nil {
		return fmt.Errorf("%s:%d: include %s: %w", parent, num, full, err)
	}
	return st.parse(full, data, constraint, append(slices.Clone(stack), full))
}

// shellSplit splits s into words like POSIX shlex: spaces separate, single and double
// quotes group, a backslash escapes the next character outside single quotes.
func shellSplit(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
