package strace

import "strings"

// Traced is the set of system calls Command traces: what a package does to files (opens,
// creates, deletes, renames, links, permission changes, directory changes), the programs
// it starts and the processes it makes, and what it does on the network (including the
// getsockopt that gives a non-blocking connect's outcome). Reads and writes of open files
// are left out: they are most of a trace's volume and the opens already say which files.
var Traced = []string{
	"open", "openat", "openat2", "creat", "truncate",
	"unlink", "unlinkat", "rename", "renameat", "renameat2",
	"mkdir", "mkdirat", "rmdir", "link", "linkat", "symlink", "symlinkat",
	"chmod", "fchmodat", "chdir", "fchdir",
	"execve", "execveat", "clone", "clone3", "fork", "vfork",
	"socket", "connect", "bind", "sendto", "sendmsg", "sendmmsg", "getsockopt",
}

// StringBytes is strace's -s: how much of each string argument it prints. 4096 keeps a
// whole path (PATH_MAX) and enough of a sent buffer to find a planted secret in it.
const StringBytes = 4096

// Command returns the strace command line that traces a command into outFile: put the
// command's own arguments after it. -f follows every child; --seccomp-bpf stops only at
// the traced calls (about 40% less overhead); -qq drops attach and exit notes; -yy
// prints the path behind every fd and the addresses of sockets; everything goes to one
// file, each line prefixed by its pid.
func Command(outFile string) []string {
	return []string{
		"strace", "-f", "--seccomp-bpf", "-qq", "-yy",
		"-s", "4096",
		"-e", "trace=" + strings.Join(Traced, ","),
		"-o", outFile,
		"--",
	}
}
