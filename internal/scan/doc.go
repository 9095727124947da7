// Package scan looks for static red flags in an unpacked sdist or wheel, in Go, on the
// tokens and statements of internal/pysource. It never runs the package's code.
//
// What it reports (every finding's Task is checkreport.StepScan):
//   - obfuscation (high): exec, eval or compile applied to decoded data: a call of
//     base64/binascii/codecs/zlib/gzip/bz2/lzma/marshal decoding, bytes.fromhex, a
//     join of chr() values, a reversed string ([::-1]) or a rot13/hex/base64 codec,
//     inside the call's arguments or through a name assigned from one (or a def that
//     returns one) anywhere in the same file;
//   - exfiltration (high): data from a credential file (~/.ssh, ~/.aws, .netrc,
//     .pypirc, .git-credentials, .docker/config.json, .kube/config, .gnupg,
//     /etc/shadow, browser and wallet stores) or a dump of the environment (os.environ
//     as a whole: copied, iterated, serialized) reaching a network call, directly or
//     through assigned names; both in one file without such a flow is medium;
//   - read-secrets: a credential path named in a file without network use (low; medium
//     in setup.py);
//   - pth: a shipped .pth file: high when an `import` line also decodes, executes or
//     uses the network, medium for any other `import` line (it runs at every start of
//     the interpreter), low for a path-only .pth;
//   - setup-network (high) and setup-exec (medium; high when the command names a
//     shell, curl, wget or powershell): network or subprocess calls in setup.py;
//   - install-download (high): a command class of setup.py derived from install,
//     develop, egg_info (or any setuptools command, for network use) that fetches or,
//     for install/develop/egg_info, runs things.
//
// The analysis is per file and flow-insensitive: a name assigned from a decoder or from
// secret data anywhere in the file is that everywhere in the file. Calls are resolved
// through the file's imports (`import requests as r`, `from os import system`,
// __import__("os").system).
//
// Bounds (Limits): the number of files looked at, the size of one file (larger .py and
// .pth files are not read and are reported, medium), the total bytes read, the number
// of findings and the wall time (a context deadline). A scan stopped by a bound
// returns what it found and a medium limit finding naming the bound, so a package
// cannot pass by being big. The work per file is linear in its size.
package scan
