// Package strace runs nothing itself: it gives the strace command line a check puts in
// front of the package's command (Command) and parses what strace wrote (Parse) into
// one Event per system call, signal or exit.
//
// The parser reads the output of `strace -f -yy -o FILE` (every line prefixed by its pid,
// padded or as "[pid N]") and of `-ff` per-pid files (no prefix; ParseFiles names the pid
// from the file's suffix). It handles:
//
//   - calls split over two lines (`<unfinished ...>` then `<... name resumed>`), merged
//     per pid; a call never resumed (its process was killed) is emitted at the end with
//     Killed set;
//   - calls killed mid-way (`= ?`);
//   - C escapes in strings and in -yy annotations (\n, \t, \", \\, octal \NNN, \xNN);
//   - -yy annotations with decorations nested inside (`3<TCP:[1.2.3.4:5->6.7.8.9:80]>`,
//     `3<TCPv6:[[::1]:5->[::1]:9]>`), and `<` or `>` inside quoted strings;
//   - pid-namespace numbering: the pids are those strace sees; with
//     --pidns-translation a clone's `= 2 /* 26429 in strace's PID NS */` gives the child
//     in strace's numbering (Event.Child), so children match the line prefixes;
//   - lines of any length, bounded: a line longer than Limits.Line keeps its first
//     Limits.Line bytes and its last Limits.Tail bytes (enough for the result) and is
//     marked Truncated; nothing is read twice, so the work is linear in the input.
//
// Non-blocking connects (`= -1 EINPROGRESS`) get their outcome from a later
// getsockopt(SO_ERROR): Connects pairs them.
package strace
