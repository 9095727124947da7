package installer

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/pydepot/pydepot/internal/archives"
)

// Scheme is where each part of a wheel goes. All paths should be absolute.
type Scheme struct {
	Purelib string // pure Python modules (site-packages)
	Platlib string // platform-specific modules (site-packages in a venv)
	Scripts string // executables (bin)
	Data    string // .data/data root (the prefix)
	Headers string // C headers; files go under Headers/<project name>
}

// VenvScheme returns the layout of a virtual environment (or bundled environment) at
// prefix for Python pyMajorMinor ("3.11"): prefix/lib/python3.11/site-packages, prefix/bin,
// prefix, prefix/include/site/python3.11.
func VenvScheme(prefix, pyMajorMinor string) Scheme {
	site := filepath.Join(prefix, "lib", "python"+pyMajorMinor, "site-packages")
	return Scheme{
		Purelib: site,
		Platlib: site,
		Scripts: filepath.Join(prefix, "bin"),
		Data:    prefix,
		Headers: filepath.Join(prefix, "include", "site", "python"+pyMajorMinor),
	}
}

// TargetScheme returns a layout like `pip install --target dir`: modules in dir, scripts
// in dir/bin, data in dir, headers in dir/include/<name> (pip puts them in
// dir/include/site/pythonX.Y/<name>). Build environments use it.
func TargetScheme(dir string) Scheme {
	return Scheme{
		Purelib: dir,
		Platlib: dir,
		Scripts: filepath.Join(dir, "bin"),
		Data:    dir,
		Headers: filepath.Join(dir, "include"),
	}
}

// Options tune Install. The zero value is valid.
type Options struct {
	// Requested writes the REQUESTED marker (the user asked for this distribution, it is
	// not only a dependency).
	Requested bool
	// Installer is written to INSTALLER; default "pydepot".
	Installer string
	// Interpreter is the interpreter launchers run. "" means "python3" found beside the
	// script (relocatable); a bare name is also found beside the script; an absolute path
	// is written as a plain shebang.
	Interpreter string
	// Limits caps the archive; the zero value means archives.DefaultLimits().
	Limits archives.Limits
	// Log receives debug and warning messages; nil discards them.
	Log *slog.Logger
}

// Result describes an installed distribution.
type Result struct {
	Name     string   // project name as in the .dist-info directory name
	Version  string   // version as in the .dist-info directory name
	DistInfo string   // absolute path of the installed .dist-info directory
	Files    []string // absolute paths of every installed file, sorted
	Scripts  []string // absolute paths of the launcher and .data/scripts files, sorted
}

// Install installs the wheel at wheelPath into scheme. The file name of wheelPath does not
// matter (a content-addressed cache path is fine); the .dist-info directory inside names
// the distribution. Errors wrap errs.ErrInvalid for a malformed or tampered wheel,
// errs.ErrTooLarge for archive caps, and are plain I/O errors otherwise.
func Install(ctx context.Context, wheelPath string, scheme Scheme, opts Options) (*Result, error) {
	return install(ctx, wheelPath, scheme, opts)
}
