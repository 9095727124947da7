// Package sandbox runs one command under bubblewrap (bwrap) with no network, a read-only
// system and bounded time, memory, processes, output and file size: the sandbox of the
// checks pipeline and of `pydepot run --sandbox`.
//
// What the command sees:
//
//   - its own user, pid, ipc, uts and (unless Spec.Network) network namespaces; the
//     network namespace holds only a loopback interface, so every connection, to the
//     host's own 127.0.0.1 as much as to anywhere else, fails;
//   - the system read-only: /usr and the /bin, /sbin, /lib* links or folders, and /etc,
//     where every entry that is not readable by others on the host (/etc/shadow,
//     /etc/gshadow, /etc/ssl/private, ...) is replaced by an empty file or folder;
//     nothing else of the host (no /root, no /home, no host /tmp, no /var, no /run);
//   - a private /proc and a minimal /dev; a private, empty /tmp, HOME (Spec.Env's HOME,
//     default /home/sandbox) and working folder (Spec.Dir, default HOME), each a tmpfs
//     capped at Limits.MemoryBytes, unless a mount of the Spec covers it;
//   - Spec.ReadOnly binds read-only and Spec.Writable binds read-write: the only host
//     paths it can change (a read-only mount of a system folder at its own path, such
//     as an interpreter's /usr prefix, is already there and skipped);
//   - uid and gid Spec.UID and Spec.GID (65534 by default, never 0) without any
//     capability, in a session and process group of its own (bwrap --new-session), with
//     exactly Spec.Env as its environment (--clearenv) and nested user namespaces refused.
//
// Limits (Limits; a zero field takes the value of DefaultLimits):
//
//   - Time: wall clock. At the end, or when ctx is done, bwrap is killed; with
//     --die-with-parent its pid-1 child dies and the kernel kills every process of the
//     pid namespace. Run returns only once the namespace's init is gone (a pidfd on it), so
//     nothing of the sandbox (a `sleep 1000 &` included) is left running.
//   - Memory: when pydepot runs as root and a writable memory cgroup (v1) is found, a
//     cgroup of the sandbox with memory.limit_in_bytes (its tmpfs pages count too); an
//     OOM kill there is reported as Limit "memory". Otherwise RLIMIT_AS (address space),
//     where an allocation fails inside the program and is not recognised as a limit.
//   - Processes: RLIMIT_NPROC for the sandbox uid (counted in the sandbox's own user
//     namespace), and the sandbox is killed once its pid namespace holds that many
//     processes (Limit "processes"). The sandbox uid maps to the uid that runs pydepot,
//     and the kernel does not apply RLIMIT_NPROC to root: when pydepot runs as root a
//     pids cgroup (pids.max, v1) bounds the processes instead and the sandbox is killed
//     once it refused a fork. Threads count as processes for both. A fork bomb is
//     stopped at once either way. (As root on a host with only cgroup v2, no cgroup is
//     made: the pid-namespace count, polled every 100 ms, is then the only bound.)
//   - Output: Stdout and Stderr share Limits.OutputBytes; what comes after is dropped and
//     counted (Result.OutputDropped, Limit "output"), the command goes on.
//   - File size: RLIMIT_FSIZE; a write past it kills the writer with SIGXFSZ (Limit
//     "file-size"). A program that ignores SIGXFSZ (Python does) gets EFBIG instead;
//     when it then fails and a file of Spec.Writable has reached the limit, the limit is
//     named too (a file in the private /tmp is not seen).
//
// Host uid: the sandbox uid maps to the uid that runs pydepot (bwrap's own user
// namespace), so files the command writes into Spec.Writable belong to that uid on the
// host. When that is root, owner permission checks on root's files pass inside: what the
// command must not read is kept out by not being mounted (or masked, in /etc), and what
// it must not change by read-only mounts. Every mount inside is nosuid, and once the
// command has ended Run clears the set-user-ID and set-group-ID bits under Spec.Writable,
// so an output folder never holds a set-uid-root file.
//
// rlimits are set inside the sandbox by util-linux prlimit, so they bound the command and
// not bwrap. Tracing is not part of the sandbox: callers put strace in front of the
// command; ptrace between the sandbox's own processes works.
//
// Run's error is only for a sandbox that could not start (bwrap missing, a mount source
// missing, a bad Spec); everything the command does is in the Result.
package sandbox
