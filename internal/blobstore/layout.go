package blobstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Layout is how a Store maps a digest to its driver path. It is a property of the
// stored data, not of the program: every process opening the same folder must agree,
// so a File driver records it in a marker when its folder is first set up, and a
// folder made before the marker existed (it has blobs and no marker) keeps the layout
// of then, with no migration.
type Layout uint8

const (
	// LayoutTwoLevel is sha256/ab/cd/<digest>, the layout of stores made before the
	// marker: with tens of thousands of blobs nearly every new blob made a leaf folder
	// (a mkdir and an inode each).
	LayoutTwoLevel Layout = iota
	// LayoutOneLevel is sha256/ab/<digest>, as distribution/distribution lays out its
	// blobs: 256 folders, all made when the store is set up, so committing a blob is
	// one rename into a folder that exists.
	LayoutOneLevel
)

// Path is the driver path of a digest (lower-case hex, checked by the caller).
func (l Layout) Path(sha string) string {
	if l == LayoutOneLevel {
		return "sha256/" + sha[0:2] + "/" + sha
	}
	return "sha256/" + sha[0:2] + "/" + sha[2:4] + "/" + sha
}

// String is the layout's name, as its marker records it.
func (l Layout) String() string {
	if l == LayoutOneLevel {
		return "sha256/aa/DIGEST"
	}
	return "sha256/aa/bb/DIGEST"
}

// layoutMarker is the file under a File driver's root recording its Layout (one line,
// Layout.String); like tmpDir it is not an object.
const layoutMarker = "_layout"

func parseLayout(s string) (Layout, error) {
	for _, l := range []Layout{LayoutTwoLevel, LayoutOneLevel} {
		if strings.TrimSpace(s) == l.String() {
			return l, nil
		}
	}
	return 0, fmt.Errorf("unknown blob layout %.40q (written by a newer pydepot?)", s)
}

// maxMarker bounds the marker read (it is one short line).
const maxMarker = 256

// setupLayout reads the layout of the File store at root, or decides and records it
// when root has no marker: a folder with no blob folder (or an empty one) is new and
// gets LayoutOneLevel with its 256 folders; one that has blobs was made by an older
// pydepot and keeps LayoutTwoLevel. The marker is linked in whole (a temporary file
// synced first) and never replaced: when two processes set up one folder at once, the
// first link wins and the other reads it.
func setupLayout(root string) (Layout, error) {
	marker := filepath.Join(root, layoutMarker)
	l, err := readLayout(marker)
	if errors.Is(err, fs.ErrNotExist) {
		l = LayoutOneLevel
		if used, err := hasEntries(filepath.Join(root, "sha256")); err != nil {
			return 0, err
		} else if used {
			l = LayoutTwoLevel
		}
		if err = writeMarker(root, l); errors.Is(err, fs.ErrExist) {
			l, err = readLayout(marker)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("blob layout: %w", err)
	}
	if l == LayoutOneLevel {
		if err := makeFanout(filepath.Join(root, "sha256")); err != nil {
			return 0, fmt.Errorf("blob folders: %w", err)
		}
	}
	return l, nil
}

func readLayout(marker string) (Layout, error) {
	f, err := os.Open(marker)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMarker))
	if err != nil {
		return 0, err
	}
	return parseLayout(string(b))
}

// hasEntries reports whether dir exists and holds anything.
func hasEntries(dir string) (bool, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err == io.EOF {
		return false, nil
	}
	return len(names) > 0, err
}

// writeMarker records l under root; fs.ErrExist when a marker is there already.
func writeMarker(root string, l Layout) error {
	tmp, err := os.CreateTemp(filepath.Join(root, tmpDir), "layout-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(l.String() + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), filepath.Join(root, layoutMarker)); err != nil {
		return err
	}
	return syncDir(root)
}

// makeFanout makes the 256 folders of LayoutOneLevel under dir (0700) where missing,
// and syncs what it made, so that a blob renamed into one never finds it missing
// after a crash.
func makeFanout(dir string) error {
	if err := MkdirPrivate(dir); err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	have := make(map[string]bool, len(ents))
	for _, e := range ents {
		have[e.Name()] = true
	}
	made := false
	const hexDigits = "0123456789abcdef"
	for i := range 256 {
		name := string([]byte{hexDigits[i>>4], hexDigits[i&15]})
		if have[name] {
			continue
		}
		if err := MkdirPrivate(filepath.Join(dir, name)); err != nil {
			return err
		}
		made = true
	}
	if !made {
		return nil
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}
