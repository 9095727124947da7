package pylock

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
)

// Marshal returns the canonical TOML bytes of l (see the package doc). It validates l
// first; errors wrap errs.ErrInvalid. l is not modified.
func Marshal(l *Lock) ([]byte, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	c := canonical(l)
	var w tw
	w.kv("lock-version", c.LockVersion)
	w.kvList("environments", c.Environments)
	w.kv("requires-python", c.RequiresPython)
	w.kvList("extras", c.Extras)
	w.kvList("dependency-groups", c.DependencyGroups)
	w.kvList("default-groups", c.DefaultGroups)
	w.kv("created-by", c.CreatedBy)
	for _, p := range c.Packages {
		w.b.WriteString("\n[[packages]]\n")
		w.kv("name", p.Name)
		w.kv("version", p.Version)
		w.kv("marker", p.Marker)
		w.kv("requires-python", p.RequiresPython)
		if len(p.Dependencies) > 0 {
			w.b.WriteString("dependencies = [\n")
			for _, d := range p.Dependencies {
				w.b.WriteString("  {")
				w.inlineKV("name", d.Name, true)
				if d.Version != "" {
					w.inlineKV("version", d.Version, false)
				}
				w.b.WriteString("},\n")
			}
			w.b.WriteString("]\n")
		}
		w.kv("index", p.Index)
		if p.Sdist != nil {
			w.b.WriteString("sdist = ")
			w.file(*p.Sdist)
			w.b.WriteString("\n")
		}
		if len(p.Wheels) > 0 {
			w.b.WriteString("wheels = [\n")
			for _, f := range p.Wheels {
				w.b.WriteString("  ")
				w.file(f)
				w.b.WriteString(",\n")
			}
			w.b.WriteString("]\n")
		}
		if len(p.AttestationIdentities) > 0 {
			w.b.WriteString("attestation-identities = [\n")
			for _, a := range p.AttestationIdentities {
				w.b.WriteString("  ")
				if err := w.value(a); err != nil {
					return nil, err
				}
				w.b.WriteString(",\n")
			}
			w.b.WriteString("]\n")
		}
		if len(p.Tool) > 0 {
			w.b.WriteString("\n[packages.tool]\n")
			if err := w.table(p.Tool); err != nil {
				return nil, err
			}
		}
	}
	if len(c.Tool) > 0 {
		w.b.WriteString("\n[tool]\n")
		if err := w.table(c.Tool); err != nil {
			return nil, err
		}
	}
	return w.b.Bytes(), nil
}

// Parse reads a pylock.toml document and validates it. Keys this model does not hold
// (vcs, directory and archive sources, unknown keys) are rejected rather than dropped.
// Errors wrap errs.ErrInvalid.
func Parse(data []byte) (*Lock, error) {
	var l Lock
	md, err := toml.Decode(string(data), &l)
	if err != nil {
		return nil, fmt.Errorf("pylock: %v: %w", err, errs.ErrInvalid)
	}
	var ks []string
	for _, k := range md.Undecoded() {
		// Keys inside free-form tables decode into maps but are still reported.
		if k[0] == "tool" || len(k) > 1 && k[0] == "packages" && (k[1] == "tool" || k[1] == "attestation-identities") {
			continue
		}
		ks = append(ks, k.String())
	}
	if len(ks) > 0 {
		return nil, fmt.Errorf("pylock: unsupported keys %s: %w", strings.Join(ks, ", "), errs.ErrInvalid)
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

// Validate checks the fields the specification requires; errors wrap errs.ErrInvalid.
func (l *Lock) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("pylock: "+format+": %w", append(a, errs.ErrInvalid)...)
	}
	if l.LockVersion == "" {
		return bad("lock-version is missing")
	}
	if major, _, _ := strings.Cut(l.LockVersion, "."); major != "1" {
		return bad("lock-version %q is not supported (want 1.x)", l.LockVersion)
	}
	if l.CreatedBy == "" {
		return bad("created-by is missing")
	}
	seen := map[string]bool{}
	for i, p := range l.Packages {
		if p.Name == "" || !names.Valid(p.Name) {
			return bad("packages[%d]: name %q is not a valid project name", i, p.Name)
		}
		key := names.Normalize(p.Name) + "\x00" + p.Version + "\x00" + p.Marker
		if seen[key] {
			return bad("packages[%d]: %s %s listed twice", i, p.Name, p.Version)
		}
		seen[key] = true
		if p.Sdist == nil && len(p.Wheels) == 0 {
			return bad("package %s: no sdist and no wheels", p.Name)
		}
		if p.Sdist != nil {
			if err := p.Sdist.validate(); err != nil {
				return bad("package %s: sdist: %v", p.Name, err)
			}
		}
		for j, f := range p.Wheels {
			if err := f.validate(); err != nil {
				return bad("package %s: wheels[%d]: %v", p.Name, j, err)
			}
		}
		for j, d := range p.Dependencies {
			if d.Name == "" {
				return bad("package %s: dependencies[%d]: name is missing", p.Name, j)
			}
		}
	}
	return nil
}

func (f File) validate() error {
	if f.URL == "" && f.Path == "" {
		return fmt.Errorf("neither url nor path")
	}
	if len(f.Hashes) == 0 {
		return fmt.Errorf("no hashes")
	}
	for alg, h := range f.Hashes {
		if alg == "" || h == "" {
			return fmt.Errorf("empty hash %q = %q", alg, h)
		}
	}
	if f.Size < 0 {
		return fmt.Errorf("negative size")
	}
	return nil
}

// canonical returns a sorted deep-enough copy of l.
func canonical(l *Lock) Lock {
	c := *l
	c.Environments = sortedStrings(l.Environments)
	c.Extras = sortedStrings(l.Extras)
	c.DependencyGroups = sortedStrings(l.DependencyGroups)
	c.DefaultGroups = sortedStrings(l.DefaultGroups)
	c.Packages = make([]Package, len(l.Packages))
	for i, p := range l.Packages {
		p.Dependencies = slices.Clone(p.Dependencies)
		sort.Slice(p.Dependencies, func(a, b int) bool {
			da, db := p.Dependencies[a], p.Dependencies[b]
			if na, nb := names.Normalize(da.Name), names.Normalize(db.Name); na != nb {
				return na < nb
			}
			return da.Version < db.Version
		})
		p.Wheels = slices.Clone(p.Wheels)
		sort.Slice(p.Wheels, func(a, b int) bool {
			wa, wb := p.Wheels[a], p.Wheels[b]
			if wa.Name != wb.Name {
				return wa.Name < wb.Name
			}
			if wa.URL != wb.URL {
				return wa.URL < wb.URL
			}
			return wa.Path < wb.Path
		})
		c.Packages[i] = p
	}
	sort.SliceStable(c.Packages, func(a, b int) bool {
		pa, pb := c.Packages[a], c.Packages[b]
		if na, nb := names.Normalize(pa.Name), names.Normalize(pb.Name); na != nb {
			return na < nb
		}
		if pa.Version != pb.Version {
			return pa.Version < pb.Version
		}
		return pa.Marker < pb.Marker
	})
	return c
}

func sortedStrings(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// tw writes TOML one way only.
type tw struct{ b bytes.Buffer }

func (w *tw) kv(k, v string) {
	if v == "" {
		return
	}
	w.b.WriteString(k)
	w.b.WriteString(" = ")
	w.str(v)
	w.b.WriteByte('\n')
}

func (w *tw) kvList(k string, vs []string) {
	if len(vs) == 0 {
		return
	}
	w.b.WriteString(k)
	w.b.WriteString(" = [")
	for i, v := range vs {
		if i > 0 {
			w.b.WriteString(", ")
		}
		w.str(v)
	}
	w.b.WriteString("]\n")
}

func (w *tw) inlineKV(k, v string, first bool) {
	if !first {
		w.b.WriteString(", ")
	}
	w.key(k)
	w.b.WriteString(" = ")
	w.str(v)
}

func (w *tw) file(f File) {
	w.b.WriteString("{")
	first := true
	sep := func(k string) {
		if !first {
			w.b.WriteString(", ")
		}
		first = false
		w.key(k)
		w.b.WriteString(" = ")
	}
	if f.Name != "" {
		sep("name")
		w.str(f.Name)
	}
	if f.UploadTime != nil {
		sep("upload-time")
		w.time(*f.UploadTime)
	}
	if f.URL != "" {
		sep("url")
		w.str(f.URL)
	}
	if f.Path != "" {
		sep("path")
		w.str(f.Path)
	}
	if f.Size > 0 {
		sep("size")
		w.b.WriteString(strconv.FormatInt(f.Size, 10))
	}
	sep("hashes")
	w.b.WriteString("{")
	for i, alg := range sortedKeys(f.Hashes) {
		if i > 0 {
			w.b.WriteString(", ")
		}
		w.key(alg)
		w.b.WriteString(" = ")
		w.str(f.Hashes[alg])
	}
	w.b.WriteString("}}")
}

func (w *tw) time(t time.Time) {
	w.b.WriteString(t.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"))
}

// table writes the keys of m as "key = inline value" lines.
func (w *tw) table(m map[string]any) error {
	for _, k := range sortedKeys(m) {
		w.key(k)
		w.b.WriteString(" = ")
		if err := w.value(m[k]); err != nil {
			return err
		}
		w.b.WriteByte('\n')
	}
	return nil
}

// value writes v as an inline TOML value.
func (w *tw) value(v any) error {
	switch x := v.(type) {
	case string:
		w.str(x)
	case bool:
		w.b.WriteString(strconv.FormatBool(x))
	case int:
		w.b.WriteString(strconv.Itoa(x))
	case int64:
		w.b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		switch {
		case math.IsNaN(x):
			w.b.WriteString("nan")
		case math.IsInf(x, 1):
			w.b.WriteString("inf")
		case math.IsInf(x, -1):
			w.b.WriteString("-inf")
		default:
			s := strconv.FormatFloat(x, 'g', -1, 64)
			if !strings.ContainsAny(s, ".eEn") {
				s += ".0"
			}
			w.b.WriteString(s)
		}
	case time.Time:
		w.time(x)
	case []string:
		return w.value(toAnySlice(x))
	case []any:
		w.b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				w.b.WriteString(", ")
			}
			if err := w.value(e); err != nil {
				return err
			}
		}
		w.b.WriteString("]")
	case []map[string]any:
		s := make([]any, len(x))
		for i := range x {
			s[i] = x[i]
		}
		return w.value(s)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = e
		}
		return w.value(m)
	case map[string]any:
		w.b.WriteString("{")
		for i, k := range sortedKeys(x) {
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.key(k)
			w.b.WriteString(" = ")
			if err := w.value(x[k]); err != nil {
				return err
			}
		}
		w.b.WriteString("}")
	default:
		return fmt.Errorf("pylock: tool value of type %T cannot be written: %w", v, errs.ErrInvalid)
	}
	return nil
}

func toAnySlice(s []string) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}

func (w *tw) key(k string) {
	bare := k != ""
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			bare = false
			break
		}
	}
	if bare {
		w.b.WriteString(k)
		return
	}
	w.str(k)
}

func (w *tw) str(s string) {
	w.b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			w.b.WriteString(`\"`)
		case '\\':
			w.b.WriteString(`\\`)
		case '\n':
			w.b.WriteString(`\n`)
		case '\t':
			w.b.WriteString(`\t`)
		case '\r':
			w.b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&w.b, `\u%04X`, r)
			} else {
				w.b.WriteRune(r)
			}
		}
	}
	w.b.WriteByte('"')
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
