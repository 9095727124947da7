// Package inspect reads what pydepot records about an uploaded or synced distribution file:
// its parsed file name, its core metadata (the exact bytes, for PEP 658), and the top-level
// import names it provides.
//
// A wheel must hold exactly one NAME-VERSION.dist-info directory at its root, matching
// the file name (names compared normalized, versions by PEP 440 equality), with a
// METADATA file. An sdist must hold NAME-VERSION/PKG-INFO for the file name's name and
// version. The metadata's Name and Version must agree with the file name too.
//
// Import names, for a wheel: top_level.txt, else the packages and modules that RECORD
// (or, without RECORD, the archive) installs at the top level, else the metadata's
// Import-Name. For an sdist: Import-Name, else the top_level.txt of an .egg-info
// directory in the source tree, else the top-level packages and modules of the tree
// (src/ layout included) as a best effort. A package without __init__.py (a PEP 420
// namespace such as google or azure) is reported by its dotted subpackages.
package inspect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pydepot/pydepot/internal/archives"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// Info is what Inspect learns from a file.
type Info struct {
	Dist          filenames.Dist
	Metadata      *metadata.Metadata
	MetadataBytes []byte   // METADATA (wheel) or PKG-INFO (sdist), exactly as stored in the archive
	ImportNames   []string // top-level import names: top_level.txt, else RECORD, else Import-Name
}

// Caps on the members Inspect reads, checked against the archive's declared sizes before
// anything is inflated (the archive readers enforce the declared sizes while reading).
// METADATA and PKG-INFO are capped at metadata.MaxSize.
const (
	// MaxRecordSize caps a wheel's RECORD, which is streamed line by line.
	MaxRecordSize = archives.MaxReadFile
	// MaxRecordLine caps one line of RECORD: a path, its hash and its size.
	MaxRecordLine = 64 << 10
	// MaxTopLevelSize caps top_level.txt, a list of a few names.
	MaxTopLevelSize = 1 << 20
)

// Inspect opens the archive named filename through the archives package, finds the metadata
// file (NAME-VERSION.dist-info/METADATA for wheels; NAME-VERSION/PKG-INFO for sdists), parses it and
// checks that its name and version agree with the file name. The members it reads are
// capped (see MaxRecordSize); then every member is read once through the archive caps
// (archives.Verify), so a corrupt or lying archive is refused here. It stops with ctx's
// error once ctx is done. Errors wrap errs.ErrInvalid or errs.ErrTooLarge and say what is
// wrong.
func Inspect(ctx context.Context, filename string, r io.ReaderAt, size int64) (*Info, error) {
	return InspectLimits(ctx, filename, r, size, archives.DefaultLimits())
}

// InspectLimits is Inspect with explicit archive limits.
func InspectLimits(ctx context.Context, filename string, r io.ReaderAt, size int64, lim archives.Limits) (*Info, error) {
	return inspect(ctx, filename, r, size, lim, true)
}

// InspectMirrored is Inspect for a mirror's copy of a file, whose bytes matched the
// digest its upstream gives: the members it reads (the metadata, the listing) are
// checked as Inspect checks them, but the other members are not inflated one by one
// (archives.Verify). A mirror serves the upstream's bytes as they are, as devpi,
// bandersnatch and proxpi do (an installer checks the members it unpacks, and the
// checks install what they test). Inflating every member of every
// wheel was a sixth of the CPU of a sync of 20,000 small wheels.
func InspectMirrored(ctx context.Context, filename string, r io.ReaderAt, size int64) (*Info, error) {
	return inspect(ctx, filename, r, size, archives.DefaultLimits(), false)
}

// InspectMirroredDist is InspectMirrored for a file whose name the caller has parsed
// (d, from filenames.Parse): a sync parses each name once.
func InspectMirroredDist(ctx context.Context, d filenames.Dist, r io.ReaderAt, size int64) (*Info, error) {
	return inspectDist(ctx, d, r, size, archives.DefaultLimits(), false)
}

func inspect(ctx context.Context, filename string, r io.ReaderAt, size int64, lim archives.Limits, verify bool) (*Info, error) {
	d, err := filenames.Parse(filename)
	if err != nil {
		return nil, err
	}
	return inspectDist(ctx, d, r, size, lim, verify)
}

func inspectDist(ctx context.Context, d filenames.Dist, r io.ReaderAt, size int64, lim archives.Limits, verify bool) (*Info, error) {
	filename := d.Filename
	var err error
	var a archives.Archive
	switch {
	case d.Kind == filenames.KindWheel || d.Ext == ".zip":
		a, err = archives.OpenZip(r, size, lim)
	default:
		a, err = archives.OpenTarGz(ctx, r, size, lim)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	defer a.Close()
	// The few members read for the metadata first, each within its cap, so that an
	// oversized RECORD is refused before anything is inflated.
	info := &Info{Dist: d}
	if d.Kind == filenames.KindWheel {
		err = inspectWheel(ctx, info, a)
	} else {
		err = inspectSdist(info, a)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	// Then every member once: CRCs and real sizes are checked, not only the headers.
	if !verify {
		return info, nil
	}
	if err := archives.Verify(ctx, a); err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	return info, nil
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errs.ErrInvalid)
}

// splitNameVersion splits "name-version" at its last "-".
func splitNameVersion(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// matches reports whether "name-version" denotes d's project and version.
func matches(nameVersion string, d filenames.Dist) bool {
	n, v, ok := splitNameVersion(nameVersion)
	if !ok || !sameProject(n, d.Name) {
		return false
	}
	pv, err := versions.Parse(v)
	return err == nil && pv.Compare(d.Version) == 0
}

// sameProject reports whether a and b normalize to the same project name (most often
// they are the same string, or differ by "-" and "_" only), without making the
// normalized names when both are ASCII.
func sameProject(a, b string) bool {
	if a == b {
		return true
	}
	if !isASCII(a) || !isASCII(b) {
		return names.Normalize(a) == names.Normalize(b)
	}
	i, j := 0, 0
	for {
		ca, ni, oka := nextNormalized(a, i)
		cb, nj, okb := nextNormalized(b, j)
		if oka != okb || ca != cb {
			return false
		}
		if !oka {
			return true
		}
		i, j = ni, nj
	}
}

// nextNormalized returns the byte of the normalized ASCII name s that starts at s[i] (a
// run of "-", "_" and "." is one "-"; letters are lowered) and where the next starts.
func nextNormalized(s string, i int) (byte, int, bool) {
	if i >= len(s) {
		return 0, i, false
	}
	switch c := s[i]; c {
	case '-', '_', '.':
		for i < len(s) && (s[i] == '-' || s[i] == '_' || s[i] == '.') {
			i++
		}
		return '-', i, true
	default:
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return c, i + 1, true
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func topDir(name string) string {
	top, _, _ := strings.Cut(name, "/")
	return top
}

func inspectWheel(ctx context.Context, info *Info, a archives.Archive) error {
	d := info.Dist
	members := archives.MemberList(a)
	var dirs []string
	var seen map[string]bool // from a second .dist-info directory on
	for _, m := range members {
		top := topDir(m.Name)
		if !strings.HasSuffix(top, ".dist-info") || !(m.Dir || strings.Contains(m.Name, "/")) {
			continue
		}
		switch {
		case len(dirs) == 0:
			dirs = append(dirs, top)
		case seen == nil && top == dirs[0]:
		case seen == nil:
			seen = map[string]bool{dirs[0]: true}
			fallthrough
		case !seen[top]:
			seen[top] = true
			dirs = append(dirs, top)
		}
	}
	switch len(dirs) {
	case 0:
		return invalidf("wheel has no .dist-info directory")
	case 1:
	default:
		return invalidf("wheel has %d .dist-info directories (%s); it must have exactly one", len(dirs), strings.Join(dirs, ", "))
	}
	distInfo := dirs[0]
	if !matches(strings.TrimSuffix(distInfo, ".dist-info"), d) {
		return invalidf("wheel's %s does not match the file name's project %s version %s", distInfo, d.Name, d.Version)
	}
	if err := readMetadata(info, a, distInfo+"/METADATA"); err != nil {
		return err
	}
	// RECORD is capped even when top_level.txt makes reading it unnecessary.
	if err := checkRecordSize(a, distInfo+"/RECORD"); err != nil {
		return err
	}
	if tl, err := readTopLevel(a, distInfo+"/top_level.txt"); err != nil {
		return err
	} else if len(tl) > 0 {
		info.ImportNames = withSubpackages(tl, a, distInfo)
		return nil
	}
	paths, err := recordPaths(ctx, a, distInfo+"/RECORD")
	if err != nil {
		return err
	}
	if paths == nil {
		for _, m := range members {
			if !m.Dir {
				paths = append(paths, m.Name)
			}
		}
	}
	dataDir := strings.TrimSuffix(distInfo, ".dist-info") + ".data/"
	var installed []string
	for _, p := range paths {
		if rest, ok := strings.CutPrefix(p, dataDir); ok {
			// NAME.data/purelib/... and platlib/... install at the top level.
			scheme, sub, _ := strings.Cut(rest, "/")
			if scheme != "purelib" && scheme != "platlib" {
				continue
			}
			p = sub
		}
		if strings.HasSuffix(topDir(p), ".dist-info") {
			continue
		}
		installed = append(installed, p)
	}
	info.ImportNames = withSubpackages(topLevelNames(installed, nil), a, distInfo)
	if len(info.ImportNames) == 0 {
		info.ImportNames = cleanImportNames(info.Metadata.ImportNames)
	}
	return nil
}

// readMetadata reads, parses and checks the metadata file at name.
func readMetadata(info *Info, a archives.Archive, name string) error {
	d := info.Dist
	raw, err := archives.ReadFileMax(a, name, metadata.MaxSize)
	if errors.Is(err, errs.ErrNotFound) {
		return invalidf("archive has no %s", name)
	}
	if err != nil {
		return err
	}
	md, err := metadata.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !sameProject(md.Name, d.Name) {
		return invalidf("filename says project %s but metadata says %s", d.Name, md.Name)
	}
	mv, err := versions.Parse(md.Version)
	if err != nil {
		return invalidf("metadata version %q: %v", md.Version, err)
	}
	if mv.Compare(d.Version) != 0 {
		return invalidf("filename says version %s but metadata says %s", d.Version, md.Version)
	}
	info.Metadata = md
	info.MetadataBytes = raw
	return nil
}

// readTopLevel returns the names listed in a top_level.txt (at most MaxTopLevelSize
// bytes), nil when there is none.
func readTopLevel(a archives.Archive, name string) ([]string, error) {
	if !archives.Has(a, name) {
		return nil, nil
	}
	b, err := archives.ReadFileMax(a, name, MaxTopLevelSize)
	if err != nil {
		return nil, err
	}
	var out []string
	for rest := string(b); ; {
		l, after, more := strings.Cut(rest, "\n")
		out = append(out, strings.ReplaceAll(strings.TrimSpace(l), "/", "."))
		if !more {
			break
		}
		rest = after
	}
	return cleanImportNames(out), nil
}

// checkRecordSize refuses a RECORD over MaxRecordSize from its declared size.
func checkRecordSize(a archives.Archive, name string) error {
	if m, err := archives.Lookup(a, name); err == nil && m.Size > MaxRecordSize {
		return fmt.Errorf("%s is %d bytes, over the limit of %d bytes for a RECORD: %w", name, m.Size, MaxRecordSize, errs.ErrTooLarge)
	}
	return nil
}

// recordPaths returns the paths listed in a wheel's RECORD, nil when there is none. RECORD
// is streamed: at most MaxRecordSize bytes, lines of at most MaxRecordLine bytes.
func recordPaths(ctx context.Context, a archives.Archive, name string) ([]string, error) {
	if err := checkRecordSize(a, name); err != nil {
		return nil, err
	}
	if !archives.Has(a, name) {
		return nil, nil
	}
	rc, err := a.Open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	lr := &io.LimitedReader{R: rc, N: MaxRecordSize + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), MaxRecordLine)
	out := []string{}
	for n := 1; sc.Scan(); n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		l := strings.TrimRight(sc.Text(), "\r")
		if l == "" {
			continue
		}
		p := l
		if strings.HasPrefix(l, `"`) {
			// a quoted CSV field: "a,b.py",sha256=...,12
			if end := strings.Index(l[1:], `"`); end >= 0 {
				p = strings.ReplaceAll(l[1:1+end], `""`, `"`)
			}
		} else if i := strings.IndexByte(l, ','); i >= 0 {
			p = l[:i]
		}
		out = append(out, p)
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return nil, fmt.Errorf("%s has a line over the limit of %d bytes: %w", name, MaxRecordLine, errs.ErrInvalid)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if lr.N == 0 { // MaxRecordSize+1 bytes were read
		return nil, fmt.Errorf("%s is over the limit of %d bytes for a RECORD: %w", name, MaxRecordSize, errs.ErrTooLarge)
	}
	return out, nil
}
