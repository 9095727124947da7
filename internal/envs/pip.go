package envs

import (
	"errors"
	"os"
	"path/filepath"
)

// pipLauncher is the bin/pip of an environment that does not bundle pip: an environment
// packed by pydepot is the lock it was made from, so installing into it (or, worse,
// falling through to the worker's own pip) is refused with what to do instead.
const pipLauncher = `#!/bin/sh
# Written by pydepot create: this environment is packed from its lock (pylock.toml).
if [ "$1" = install ]; then
	shift
	what="$*"
else
	what="the packages you need"
fi
echo "pip: this environment is packed by pydepot and cannot change; add $what to the spec and run 'pydepot create' again" >&2
exit 1
`

// writePipLaunchers writes pip, pip3 and pipX.Y into binDir, unless the environment has
// its own pip (the spec asked for it).
func writePipLaunchers(binDir, majorMinor string) error {
	for _, n := range []string{"pip", "pip3", "pip" + majorMinor} {
		p := filepath.Join(binDir, n)
		if _, err := os.Lstat(p); err == nil {
			continue
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := os.WriteFile(p, []byte(pipLauncher), 0o755); err != nil {
			return err
		}
	}
	return nil
}
