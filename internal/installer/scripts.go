package installer

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
)

// shebang returns the first lines of a launcher for interpreter (see Options.Interpreter).
func shebang(interpreter string) (string, error) {
	if interpreter == "" {
		interpreter = "python3"
	}
	if filepath.IsAbs(interpreter) {
		if len(interpreter) < 120 && !strings.ContainsAny(interpreter, " \t\n'\"\\") {
			return "#!" + interpreter + "\n", nil
		}
		if strings.ContainsAny(interpreter, "'\n") {
			return "", fmt.Errorf("interpreter path %q cannot be quoted: %w", interpreter, errs.ErrInvalid)
		}
		return "#!/bin/sh\n'''exec' '" + interpreter + "' \"$0\" \"$@\"\n' '''\n", nil
	}
	for _, r := range interpreter {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "", fmt.Errorf("interpreter name %q: only letters, digits, '.', '_' and '-' are allowed: %w", interpreter, errs.ErrInvalid)
		}
	}
	return "#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")\"/" + interpreter + " \"$0\" \"$@\"\n' '''\n", nil
}

// launcher returns the whole text of an entry-point script.
func launcher(sb string, ep entryPoint) []byte {
	root, _, _ := strings.Cut(ep.Attr, ".")
	return []byte(sb + `# -*- coding: utf-8 -*-
import re
import sys
from ` + ep.Module + ` import ` + root + `
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\.pyw|\.exe)?$", "", sys.argv[0])
    sys.exit(` + ep.Attr + `())
`)
}

// fixShebang replaces a first line starting with "#!python" ("#!pythonw", "#!python -u")
// by sb and reports whether it did, as pip does.
func fixShebang(data []byte, sb string) ([]byte, bool) {
	if !bytes.HasPrefix(data, []byte("#!python")) {
		return data, false
	}
	rest := data[len("#!python"):] // pip also rewrites "#!python3 -E" and the like
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[i+1:]
	} else {
		rest = nil
	}
	out := make([]byte, 0, len(sb)+len(rest))
	out = append(out, sb...)
	return append(out, rest...), true
}
