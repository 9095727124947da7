package installer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/pydepot/pydepot/internal/atomicfile"

	"github.com/pydepot/pydepot/internal/archives"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/names"
)

// placed is one file of the final layout, staged and verified.
type placed struct {
	staged string // path in the staging directory
	dest   string // absolute destination
	hash   string // RECORD hash of the staged bytes
	size   int64
}

func install(ctx context.Context, wheelPath string, scheme Scheme, opts Options) (*Result, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Installer == "" {
		opts.Installer = "pydepot"
	}
	if opts.Limits == (archives.Limits{}) {
		opts.Limits = archives.DefaultLimits()
	}
	if scheme.Purelib == "" || scheme.Platlib == "" || scheme.Scripts == "" || scheme.Data == "" || scheme.Headers == "" {
		return nil, fmt.Errorf("install %s: every Scheme directory must be set: %w", filepath.Base(wheelPath), errs.ErrInvalid)
	}
	sb, err := shebang(opts.Interpreter)
	if err != nil {
		return nil, err
	}

	f, err := os.Open(wheelPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	arc, err := archives.OpenZip(f, st.Size(), opts.Limits)
	if err != nil {
		return nil, fmt.Errorf("wheel %s: %w", filepath.Base(wheelPath), err)
	}
	defer arc.Close()

	w, err := readWheel(arc, wheelPath)
	if err != nil {
		return nil, fmt.Errorf("wheel %s: %w", filepath.Base(wheelPath), err)
	}
	if w.info.Minor > 0 {
		log.Warn("wheel format newer than supported", "wheel", filepath.Base(wheelPath), "wheel_version", fmt.Sprintf("%d.%d", w.info.Major, w.info.Minor))
	}
	root := scheme.Platlib
	if w.info.RootIsPurelib {
		root = scheme.Purelib
	}

	if err := os.MkdirAll(scheme.Purelib, 0o755); err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(scheme.Purelib, ".pydepot-install-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	tree := filepath.Join(stage, "t")
	if err := os.Mkdir(tree, 0o755); err != nil {
		return nil, err
	}
	files, err := w.extract(ctx, arc, tree)
	if err != nil {
		return nil, fmt.Errorf("wheel %s: %w", filepath.Base(wheelPath), err)
	}
	plan, scripts, err := w.place(tree, files, scheme, root, sb)
	if err != nil {
		return nil, fmt.Errorf("wheel %s: %w", filepath.Base(wheelPath), err)
	}
	gen, err := w.launchers(arc, stage, scheme, sb)
	if err != nil {
		return nil, fmt.Errorf("wheel %s: %w", filepath.Base(wheelPath), err)
	}
	for _, p := range gen {
		if slices.Contains(scripts, p.dest) {
			return nil, fmt.Errorf("wheel %s: entry point %s clashes with a script in .data/scripts: %w", filepath.Base(wheelPath), filepath.Base(p.dest), errs.ErrInvalid)
		}
		scripts = append(scripts, p.dest)
	}
	plan = append(plan, gen...)

	// The .dist-info: extra files, then the new RECORD, all staged under tree/<distinfo>.
	di := filepath.Join(tree, filepath.FromSlash(w.distInfo))
	destDI := filepath.Join(root, filepath.FromSlash(w.distInfo))
	extra := map[string][]byte{"INSTALLER": []byte(opts.Installer + "\n")}
	if opts.Requested {
		extra["REQUESTED"] = nil
	}
	for name, data := range extra {
		p, err := stageBytes(filepath.Join(di, name), filepath.Join(destDI, name), data, 0o644)
		if err != nil {
			return nil, err
		}
		plan = append(plan, p)
	}
	rec := make([]RecordEntry, 0, len(plan)+1)
	for _, p := range plan {
		rel, err := filepath.Rel(root, p.dest)
		if err != nil {
			return nil, err
		}
		rec = append(rec, RecordEntry{Path: filepath.ToSlash(rel), Hash: p.hash, Size: p.size})
	}
	rec = append(rec, RecordEntry{Path: w.distInfo + "/RECORD", Size: -1})
	sort.Slice(rec, func(i, j int) bool { return rec[i].Path < rec[j].Path })
	if err := os.WriteFile(filepath.Join(di, "RECORD"), writeRecord(rec), 0o644); err != nil {
		return nil, err
	}

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &Result{Name: w.name, Version: w.version, DistInfo: destDI}
	// Move: everything outside the .dist-info first, the .dist-info last.
	for _, p := range plan {
		if isUnder(p.dest, destDI) {
			continue
		}
		if err := move(p.staged, p.dest); err != nil {
			return nil, fmt.Errorf("wheel %s: placing %s: %w", filepath.Base(wheelPath), p.dest, err)
		}
		res.Files = append(res.Files, p.dest)
	}
	if err := moveDistInfo(di, destDI); err != nil {
		return nil, fmt.Errorf("wheel %s: placing %s: %w", filepath.Base(wheelPath), destDI, err)
	}
	for _, p := range plan {
		if isUnder(p.dest, destDI) {
			res.Files = append(res.Files, p.dest)
		}
	}
	res.Files = append(res.Files, filepath.Join(destDI, "RECORD"))
	sort.Strings(res.Files)
	sort.Strings(scripts)
	res.Scripts = scripts
	log.Debug("installed wheel", "name", w.name, "version", w.version, "files", len(res.Files))
	return res, nil
}

// wheel is what was read from the archive before extraction.
type wheel struct {
	distInfo, dataDir string // top-level directory names
	name, version     string
	info              wheelInfo
	record            map[string]RecordEntry
	members           []archives.Member
}

func readWheel(arc archives.Archive, wheelPath string) (*wheel, error) {
	w := &wheel{members: arc.Members()}
	tops := map[string]bool{}
	for _, m := range w.members {
		top, _, _ := strings.Cut(m.Name, "/")
		if strings.HasSuffix(top, ".dist-info") && (m.Dir || strings.Contains(m.Name, "/")) {
			tops[top] = true
		}
	}
	if len(tops) != 1 {
		ds := make([]string, 0, len(tops))
		for t := range tops {
			ds = append(ds, t)
		}
		sort.Strings(ds)
		return nil, fmt.Errorf("want exactly one top-level .dist-info directory, found %d %v: %w", len(ds), ds, errs.ErrInvalid)
	}
	for t := range tops {
		w.distInfo = t
	}
	stem := strings.TrimSuffix(w.distInfo, ".dist-info")
	var ok bool
	w.name, w.version, ok = strings.Cut(stem, "-")
	if !ok || w.name == "" || w.version == "" || strings.Contains(w.version, "-") {
		return nil, fmt.Errorf("dist-info directory %q is not NAME-VERSION.dist-info: %w", w.distInfo, errs.ErrInvalid)
	}
	w.dataDir = stem + ".data"
	if base := filepath.Base(wheelPath); strings.HasSuffix(base, ".whl") {
		fname, _, _ := strings.Cut(base, "-")
		if names.Normalize(fname) != names.Normalize(w.name) {
			return nil, fmt.Errorf("file name %s does not match the .dist-info directory %s: %w", base, w.distInfo, errs.ErrInvalid)
		}
	}
	data, err := readMember(arc, w.distInfo+"/WHEEL")
	if err != nil {
		return nil, err
	}
	if w.info, err = parseWheel(data); err != nil {
		return nil, err
	}
	data, err = readMember(arc, w.distInfo+"/RECORD")
	if err != nil {
		return nil, err
	}
	entries, err := ParseRecord(data)
	if err != nil {
		return nil, err
	}
	w.record = make(map[string]RecordEntry, len(entries))
	for _, e := range entries {
		if _, dup := w.record[e.Path]; dup {
			return nil, fmt.Errorf("RECORD lists %s twice: %w", e.Path, errs.ErrInvalid)
		}
		if e.Hash != "" {
			if _, _, err := decodeHash(e.Hash); err != nil {
				return nil, fmt.Errorf("RECORD entry %s: %w", e.Path, err)
			}
		}
		w.record[e.Path] = e
	}
	return w, nil
}

// readMember reads a member the wheel must have.
func readMember(arc archives.Archive, name string) ([]byte, error) {
	data, err := arc.ReadFile(name)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, fmt.Errorf("the wheel has no %s: %w", name, errs.ErrInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return data, nil
}

// unhashed are the members that need no RECORD hash; none of them is installed as is.
func (w *wheel) unhashed(name string) bool {
	switch name {
	case w.distInfo + "/RECORD", w.distInfo + "/RECORD.jws", w.distInfo + "/RECORD.p7s":
		return true
	}
	return false
}

// extract writes every member under tree, hashing it on the way, and checks it against
// RECORD; it returns the members to install with their verified sha256 and size. A
// member missing from RECORD is refused before it is written.
func (w *wheel) extract(ctx context.Context, arc archives.Archive, tree string) (map[string]RecordEntry, error) {
	files := make(map[string]RecordEntry, len(w.members))
	dirs := map[string]bool{tree: true}
	present := make(map[string]bool, len(w.members))
	for _, m := range w.members {
		present[m.Name] = true
		if m.Dir {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e, listed := w.record[m.Name]
		switch {
		case w.unhashed(m.Name):
			if m.Name != w.distInfo+"/RECORD" {
				continue // signatures are not installed
			}
		case !listed:
			return nil, fmt.Errorf("%s is not listed in RECORD: %w", m.Name, errs.ErrInvalid)
		case e.Hash == "":
			return nil, fmt.Errorf("RECORD has no hash for %s: %w", m.Name, errs.ErrInvalid)
		}
		target := filepath.Join(tree, filepath.FromSlash(m.Name))
		if dir := filepath.Dir(target); !dirs[dir] {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			dirs[dir] = true
		}
		if w.unhashed(m.Name) { // RECORD itself: rewritten later, only its place is made
			continue
		}
		newHash, want, err := decodeHash(e.Hash)
		if err != nil {
			return nil, err
		}
		sum, sum256, size, err := writeMember(arc, m, target, newHash)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(sum, want) {
			return nil, fmt.Errorf("%s does not match its RECORD hash: %w", m.Name, errs.ErrInvalid)
		}
		if e.Size >= 0 && e.Size != size {
			return nil, fmt.Errorf("%s is %d bytes, RECORD says %d: %w", m.Name, size, e.Size, errs.ErrInvalid)
		}
		files[m.Name] = RecordEntry{Path: m.Name, Hash: encodeSHA256(sum256), Size: size}
	}
	for p, e := range w.record {
		if !present[p] && e.Hash != "" && !w.unhashed(p) {
			return nil, fmt.Errorf("RECORD lists %s, which the wheel does not contain: %w", p, errs.ErrInvalid)
		}
	}
	return files, nil
}

// writeMember copies member m to target, returning its digest under newHash, its
// sha256 (the same slice when newHash is sha256) and its size.
func writeMember(arc archives.Archive, m archives.Member, target string, newHash func() hash.Hash) (sum, sum256 []byte, size int64, err error) {
	rc, err := arc.Open(m.Name)
	if err != nil {
		return nil, nil, 0, err
	}
	defer rc.Close()
	mode := os.FileMode(0o644)
	if m.Mode&0o111 != 0 {
		mode = 0o755
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return nil, nil, 0, err
	}
	h := newHash()
	var h256 hash.Hash
	ws := []io.Writer{f, h}
	if h.Size() != sha256.Size { // sha384 or sha512: the new RECORD still says sha256
		h256 = sha256.New()
		ws = append(ws, h256)
	}
	size, err = io.Copy(io.MultiWriter(ws...), rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("extracting %s: %w", m.Name, err)
	}
	sum = h.Sum(nil)
	sum256 = sum
	if h256 != nil {
		sum256 = h256.Sum(nil)
	}
	return sum, sum256, size, nil
}

// place maps verified members to their destinations, rewriting #!python scripts.
func (w *wheel) place(tree string, files map[string]RecordEntry, s Scheme, root, sb string) ([]placed, []string, error) {
	plan := make([]placed, 0, len(files))
	var scripts []string
	for name, e := range files {
		staged := filepath.Join(tree, filepath.FromSlash(name))
		p := placed{staged: staged, hash: e.Hash, size: e.Size}
		rest, isData := strings.CutPrefix(name, w.dataDir+"/")
		if !isData {
			p.dest = filepath.Join(root, filepath.FromSlash(name))
			plan = append(plan, p)
			continue
		}
		kind, sub, ok := strings.Cut(rest, "/")
		if !ok || sub == "" {
			return nil, nil, fmt.Errorf("%s: a .data entry must be inside one of purelib, platlib, scripts, data, headers: %w", name, errs.ErrInvalid)
		}
		sub = filepath.FromSlash(sub)
		switch kind {
		case "purelib":
			p.dest = filepath.Join(s.Purelib, sub)
		case "platlib":
			p.dest = filepath.Join(s.Platlib, sub)
		case "data":
			p.dest = filepath.Join(s.Data, sub)
		case "headers":
			p.dest = filepath.Join(s.Headers, w.name, sub)
		case "scripts":
			p.dest = filepath.Join(s.Scripts, sub)
			data, err := os.ReadFile(staged)
			if err != nil {
				return nil, nil, err
			}
			if fixed, ok := fixShebang(data, sb); ok {
				np, err := stageBytes(staged, p.dest, fixed, 0o755)
				if err != nil {
					return nil, nil, err
				}
				p = np
			} else if err := os.Chmod(staged, 0o755); err != nil {
				return nil, nil, err
			}
			scripts = append(scripts, p.dest)
		default:
			return nil, nil, fmt.Errorf("%s: unknown .data directory %q (want purelib, platlib, scripts, data or headers): %w", name, kind, errs.ErrInvalid)
		}
		if destDI := filepath.Join(root, filepath.FromSlash(w.distInfo)); p.dest == destDI || isUnder(p.dest, destDI) {
			return nil, nil, fmt.Errorf("%s: a .data entry may not install into the .dist-info directory: %w", name, errs.ErrInvalid)
		}
		plan = append(plan, p)
	}
	sort.Slice(plan, func(i, j int) bool { return plan[i].dest < plan[j].dest })
	for i := 1; i < len(plan); i++ {
		if plan[i].dest == plan[i-1].dest {
			return nil, nil, fmt.Errorf("two wheel members install to %s: %w", plan[i].dest, errs.ErrInvalid)
		}
	}
	return plan, scripts, nil
}

// launchers writes the entry-point scripts into stage/scripts.
func (w *wheel) launchers(arc archives.Archive, stage string, s Scheme, sb string) ([]placed, error) {
	data, err := arc.ReadFile(w.distInfo + "/entry_points.txt")
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	eps, err := parseScripts(data)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(stage, "scripts")
	if len(eps) > 0 {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, err
		}
	}
	var out []placed
	for _, ep := range eps {
		p, err := stageBytes(filepath.Join(dir, ep.Name), filepath.Join(s.Scripts, ep.Name), launcher(sb, ep), 0o755)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// stageBytes writes data to staged and returns its placement.
func stageBytes(staged, dest string, data []byte, mode os.FileMode) (placed, error) {
	_ = os.Remove(staged)
	if err := os.WriteFile(staged, data, mode); err != nil {
		return placed{}, err
	}
	if err := os.Chmod(staged, mode); err != nil {
		return placed{}, err
	}
	sum := sha256Sum(data)
	return placed{staged: staged, dest: dest, hash: encodeSHA256(sum), size: int64(len(data))}, nil
}

// move renames src to dst, creating dst's directory, copying across file systems.
func move(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	err := os.Rename(src, dst)
	if err == nil || !errors.Is(err, syscall.EXDEV) {
		return err
	}
	return atomicfile.Copy(src, dst, 0)
}

// moveDistInfo renames the staged .dist-info into place in one step when it does not exist
// yet, and file by file over an existing one (a reinstall).
func moveDistInfo(staged, dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	if err := os.Rename(staged, dest); err == nil {
		return nil
	}
	return filepath.WalkDir(staged, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(staged, p)
		if err != nil {
			return err
		}
		return move(p, filepath.Join(dest, rel))
	})
}

func isUnder(p, dir string) bool {
	return strings.HasPrefix(p, dir+string(filepath.Separator))
}
