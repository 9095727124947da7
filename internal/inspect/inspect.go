// Package inspect reads what pydepot records about an uploaded or synced distribution file:
// its parsed file name, its core metadata (the exact bytes, for PEP 658), and the top-level
// import names it provides.
package inspect

import (
	"io"

	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/metadata"
)

// Info is what Inspect learns from a file.
type Info struct {
	Dist          filenames.Dist
	Metadata      *metadata.Metadata
	MetadataBytes []byte   // METADATA (wheel) or PKG-INFO (sdist), exactly as stored in the archive
	ImportNames   []string // top-level import names: top_level.txt, else RECORD, else Import-Name
}

// Inspect opens the archive named filename through the archives package, finds the metadata
// file (NAME-VERSION.dist-info/METADATA for wheels; NAME-VERSION/PKG-INFO for sdists), parses it and
// checks that its name and version agree with the file name. Errors wrap errs.ErrInvalid or
// errs.ErrTooLarge and say what is wrong.
func Inspect(filename string, r io.ReaderAt, size int64) (*Info, error) { panic("unimplemented") }
