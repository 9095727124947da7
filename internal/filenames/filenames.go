// Package filenames parses and validates distribution file names: wheels (the binary
// distribution format spec) and sdists (name-version.tar.gz, and legacy .zip).
//
// Wheels are name-version(-build)?-pytag-abitag-platformtag.whl, with the name escaped
// (runs of "-", "_", "." written as "_"; older wheels keep "."); the rules are
// packaging.utils.parse_wheel_filename's. Sdists are name-version.tar.gz or .zip; as
// legacy names may contain "-" in both parts, the name ends at the last "-" whose
// suffix is a valid PEP 440 version.
package filenames

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/tags"
	"github.com/pydepot/pydepot/internal/versions"
)

// Kind is the type of distribution a file name denotes.
type Kind string

const (
	KindWheel Kind = "bdist_wheel"
	KindSdist Kind = "sdist"
)

// Dist is a parsed distribution file name.
type Dist struct {
	Filename string
	Kind     Kind
	Name     string // project name as written in the file name
	Version  versions.Version
	Build    string     // wheel build tag, "" when absent
	Tags     []tags.Tag // wheel tags, expanded; nil for sdists
	Ext      string     // ".whl", ".tar.gz", ".zip"
}

// Project returns the PEP 503 normalized project name.
func (d Dist) Project() string { return names.Normalize(d.Name) }

// BuildNumber splits the build tag into its leading number and the rest, the key by
// which wheels of the same version sort ("" sorts first, as packaging's () does).
func (d Dist) BuildNumber() (int, string) {
	i := 0
	for i < len(d.Build) && d.Build[i] >= '0' && d.Build[i] <= '9' {
		i++
	}
	n, _ := strconv.Atoi(d.Build[:i])
	return n, d.Build[i:]
}

// MaxLength is the longest file name Parse accepts, in bytes: the limit of common file
// systems, so that every accepted file can be saved under its name by any client.
const MaxLength = 255

// Extensions are the file name endings Parse accepts.
var Extensions = []string{".whl", ".tar.gz", ".zip"}

// Parse parses a wheel or sdist file name. It rejects other extensions, names with path
// separators, invalid versions and invalid tags, and names longer than MaxLength (before
// looking at them further; a wheel's tag set is bounded by tags.ParseSet before it is
// expanded); errors wrap errs.ErrInvalid and say which part is wrong.
func Parse(filename string) (Dist, error) {
	bad := func(format string, a ...any) (Dist, error) {
		return Dist{}, fmt.Errorf("invalid distribution file name %q: %s: %w", shorten(filename), fmt.Sprintf(format, a...), errs.ErrInvalid)
	}
	if len(filename) > MaxLength {
		return bad("%d bytes, over the limit of %d bytes", len(filename), MaxLength)
	}
	if strings.ContainsAny(filename, "/\\") {
		return bad("contains a path separator")
	}
	if strings.ContainsFunc(filename, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return bad("contains white space or a control character")
	}
	switch {
	case strings.HasSuffix(filename, ".whl"):
		return parseWheel(filename, bad)
	case strings.HasSuffix(filename, ".tar.gz"):
		return parseSdist(filename, ".tar.gz", bad)
	case strings.HasSuffix(filename, ".zip"):
		return parseSdist(filename, ".zip", bad)
	}
	return bad("unknown extension (want .whl, .tar.gz or .zip)")
}

// WheelParts are the '-'-separated fields of a wheel's file name as written, before any
// check: the compressed tag set stays compressed ("py2.py3", "none", "any").
type WheelParts struct {
	Name, Version, Build  string
	Python, ABI, Platform string
	Count                 int // how many fields the name has: 5, or 6 with a build tag
}

// TagSet returns the compressed tag set, "python-abi-platform".
func (w WheelParts) TagSet() string { return w.Python + "-" + w.ABI + "-" + w.Platform }

// SplitWheel is the one split of a wheel's file name into its fields (Parse checks them;
// the index and the server read stored names, already checked, through it). ok is false
// when the name does not end in .whl or has not 5 or 6 fields (Count says how many).
func SplitWheel(filename string) (w WheelParts, ok bool) {
	stem, isWheel := strings.CutSuffix(filename, ".whl")
	w.Count = strings.Count(stem, "-") + 1
	if !isWheel || w.Count != 5 && w.Count != 6 {
		return w, false
	}
	var parts [6]string // not strings.Split: no allocation, for a name parsed often
	rest := stem
	for i := range w.Count - 1 {
		parts[i], rest, _ = strings.Cut(rest, "-")
	}
	parts[w.Count-1] = rest
	w.Name, w.Version = parts[0], parts[1]
	if w.Count == 6 {
		w.Build = parts[2]
	}
	w.Python, w.ABI, w.Platform = parts[w.Count-3], parts[w.Count-2], parts[w.Count-1]
	return w, true
}

func parseWheel(filename string, bad func(string, ...any) (Dist, error)) (Dist, error) {
	parts, ok := SplitWheel(filename)
	if !ok {
		return bad("a wheel name has 5 or 6 '-'-separated parts, not %d", parts.Count)
	}
	d := Dist{Filename: filename, Kind: KindWheel, Name: parts.Name, Ext: ".whl"}
	if !validWheelName(d.Name) {
		return bad("invalid project name %q", d.Name)
	}
	v, err := versions.Parse(parts.Version)
	if err != nil {
		return bad("invalid version %q", parts.Version)
	}
	d.Version = v
	if parts.Count == 6 {
		d.Build = parts.Build
		if d.Build == "" || d.Build[0] < '0' || d.Build[0] > '9' {
			return bad("build tag %q does not start with a digit", d.Build)
		}
		if !digitsThenText(d.Build) {
			return bad("invalid build tag %q", d.Build)
		}
	}
	set := parts.TagSet()
	ts, err := tags.ParseSet(set)
	if err != nil {
		return Dist{}, fmt.Errorf("invalid distribution file name %q: invalid tags: %w", shorten(filename), err)
	}
	d.Tags = ts
	return d, nil
}

// digitsThenText accepts a build tag: digits (a number that fits in an int), then ASCII
// letters, digits, "_" and "." (packaging accepts anything after the digits).
func digitsThenText(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if _, err := strconv.Atoi(s[:i]); err != nil {
		return false
	}
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// validWheelName accepts an escaped project name: a valid PEP 508 name made of ASCII
// letters, digits, "_" and "." without "__" (packaging's rule, restricted to ASCII).
func validWheelName(s string) bool {
	return names.Valid(s) && !strings.Contains(s, "-") && !strings.Contains(s, "__")
}

func parseSdist(filename, ext string, bad func(string, ...any) (Dist, error)) (Dist, error) {
	stem := strings.TrimSuffix(filename, ext)
	if !strings.Contains(stem, "-") {
		return bad("an sdist name is name-version%s", ext)
	}
	for i := strings.LastIndexByte(stem, '-'); i >= 0; i = strings.LastIndexByte(stem[:i], '-') {
		v, err := versions.Parse(stem[i+1:])
		if err != nil {
			continue
		}
		name := stem[:i]
		if !names.Valid(name) {
			return bad("invalid project name %q", name)
		}
		return Dist{Filename: filename, Kind: KindSdist, Name: name, Version: v, Ext: ext}, nil
	}
	return bad("no valid version after a '-' in %q", stem)
}

// shorten returns s, or its first 60 bytes and "..." when it is longer: an error does not
// quote a huge name whole.
func shorten(s string) string {
	if len(s) <= 64 {
		return s
	}
	return strings.ToValidUTF8(s[:60], "") + "..."
}
