package strace

import (
	"strings"
	"testing"
)

func parseAll(t testing.TB, p *Parser, in string) []Event {
	t.Helper()
	var out []Event
	if err := p.Parse(strings.NewReader(in), func(e *Event) error {
		out = append(out, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// The lines are strace 6.1's own output, copied from traces of python3.
func TestParseLines(t *testing.T) {
	in := `17743 openat(AT_FDCWD</tmp/trtest>, "out\n<x>.txt", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 5</tmp/trtest/out\n\74x\76.txt>
17743 connect(3<TCP:[923694]>, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)
17743 getsockopt(3<TCP:[923694]>, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0
17743 sendto(3<UDP:[923696]>, "hello\n\1\"x\x41\\", 9, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.1")}, 16) = 9
[pid  4] getsockopt(4<TCP:[127.0.0.1:42514->127.0.0.1:41711]>, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
4     connect(3<TCPv6:[[::1]:5->[::1]:9]>, {sa_family=AF_INET6, sin6_port=htons(9), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = -1 ECONNREFUSED (Connection refused)
26428 clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7fd72e350000, stack_size=0x9000}, 88 <unfinished ...>
26429 execve("/bin/sh", ["sh", "-c", "true"], 0x7ffdb4ca84c8 /* 35 vars */ <unfinished ...>
26428 <... clone3 resumed>)             = 2 /* 26429 in strace's PID NS */
26429 <... execve resumed>)             = 0
18748 openat(AT_FDCWD</tmp/trtest>, "fifo", O_RDONLY|O_CLOEXEC) = ?
18763 openat(AT_FDCWD</tmp/trtest>, "fifo", O_RDONLY <unfinished ...>
18763 <... openat resumed> <unfinished ...>) = ?
18763 +++ killed by SIGKILL +++
18748 +++ exited with 3 +++
4     --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=5, si_uid=0, si_status=0} ---
77 unlink("never resumed" <unfinished ...>
`
	evs := parseAll(t, &Parser{}, in)
	if len(evs) != 14 {
		for _, e := range evs {
			t.Logf("%+v", e)
		}
		t.Fatalf("got %d events, want 14", len(evs))
	}
	for _, e := range evs {
		if e.Malformed {
			t.Errorf("line %d malformed: %+v", e.Line, e)
		}
	}
	open := evs[0]
	if open.PID != 17743 || open.Name != "openat" || open.Arg(0).Path != "/tmp/trtest" || open.Arg(1).Str != "out\n<x>.txt" ||
		open.Ret != "5" || open.RetPath != "/tmp/trtest/out\n<x>.txt" || len(open.Args) != 4 {
		t.Errorf("openat: %+v", open)
	}
	if c := evs[1]; c.Errno != "EINPROGRESS" || c.Ret != "-1" || !c.Failed() {
		t.Errorf("connect: %+v", c)
	}
	if a, ok := SockAddr(evs[1].Arg(1).Raw); !ok || a.IP.String() != "127.0.0.1:9" {
		t.Errorf("connect address %+v", a)
	}
	if s := evs[3].Arg(1); s.Str != "hello\n\x01\"xA\\" || !s.Quoted {
		t.Errorf("sendto buffer %q", s.Str)
	}
	if e := evs[4]; e.PID != 4 || e.Arg(3).Raw != "[0]" {
		t.Errorf("[pid N] prefix: %+v", e)
	}
	so, ok := ParseSocket(evs[5].Arg(0).Path)
	if !ok || so.Proto != "TCPv6" || so.Remote.String() != "[::1]:9" {
		t.Errorf("TCPv6 annotation: %+v", so)
	}
	if a, _ := SockAddr(evs[5].Arg(1).Raw); a.IP.String() != "[::1]:9" {
		t.Errorf("AF_INET6 address %+v", a)
	}
	if c := evs[6]; c.Name != "clone3" || c.Child != 26429 || c.Ret != "2" || len(c.Args) != 2 {
		t.Errorf("clone3 resumed, pid translated: %+v", c)
	}
	if e := evs[7]; e.Name != "execve" || e.Ret != "0" || strings.Join(e.Arg(1).Strings(), " ") != "sh -c true" {
		t.Errorf("execve resumed: %+v", e)
	}
	if e := evs[8]; !e.Killed || e.Ret != "?" {
		t.Errorf("= ?: %+v", e)
	}
	if e := evs[9]; e.PID != 18763 || !e.Killed || e.Arg(1).Str != "fifo" {
		t.Errorf("resumed then killed: %+v", e)
	}
	if e := evs[10]; e.Signal != "SIGKILL" {
		t.Errorf("killed by: %+v", e)
	}
	if e := evs[11]; e.Exited == nil || *e.Exited != 3 {
		t.Errorf("exited: %+v", e)
	}
	if e := evs[12]; e.Signal != "SIGCHLD" || e.Name != "" {
		t.Errorf("signal: %+v", e)
	}
	if e := evs[13]; e.Name != "unlink" || !e.Killed || e.Arg(0).Str != "never resumed" {
		t.Errorf("unfinished never resumed: %+v", e)
	}
}

func TestConnectsNonBlocking(t *testing.T) {
	in := `5 connect(3<TCP:[923694]>, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)
5 connect(4<TCP:[923695]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("192.0.2.1")}, 16) = -1 EINPROGRESS (Operation now in progress)
5 connect(6<TCP:[938000]>, {sa_family=AF_INET, sin_port=htons(41711), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)
5 getsockopt(3<TCP:[923694]>, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0
5 getsockopt(6<TCP:[127.0.0.1:42514->127.0.0.1:41711]>, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
5 connect(7<UDP:[938003]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
`
	var c Connects
	var got []string
	for _, e := range parseAll(t, &Parser{}, in) {
		if cn := c.Observe(&e); cn != nil {
			got = append(got, cn.Addr.String()+" "+cn.Proto+" "+cn.Result)
		}
	}
	for _, p := range c.Pending() {
		got = append(got, p.Addr.String()+" pending "+p.Result)
	}
	want := "127.0.0.1:9 TCP ECONNREFUSED|127.0.0.1:41711 TCP |127.0.0.1:53 UDP |192.0.2.1:80 pending EINPROGRESS"
	if strings.Join(got, "|") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, "|"), want)
	}
}

// A line longer than the limit keeps its head and its result; the line after it is
// read normally.
func TestParseLongLine(t *testing.T) {
	big := strings.Repeat("A", 3<<20)
	in := `9 execve("/bin/sh", ["sh", "-c", "` + big + `"], 0x7ffc /* 35 vars */) = -1 E2BIG (Argument list too long)
9 unlink("/tmp/x") = 0
9 openat(AT_FDCWD</w>, "` + big + `" <unfinished ...>
9 <... openat resumed>) = 3</w/f>
`
	evs := parseAll(t, &Parser{Limits: Limits{Line: 64 << 10}}, in)
	if len(evs) != 3 {
		t.Fatalf("got %d events", len(evs))
	}
	e := evs[0]
	if !e.Truncated || e.Name != "execve" || e.Arg(0).Str != "/bin/sh" || e.Errno != "E2BIG" || e.Ret != "-1" {
		t.Errorf("long line: %+v", e.Args[:1])
	}
	if e := evs[1]; e.Name != "unlink" || e.Arg(0).Str != "/tmp/x" || e.Truncated || e.Line != 2 {
		t.Errorf("line after the long one: %+v", e)
	}
	if e := evs[2]; e.Name != "openat" || e.RetPath != "/w/f" || !e.Truncated || e.Arg(0).Path != "/w" {
		t.Errorf("long unfinished line: %+v", e)
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`a\nb\tc`:    "a\nb\tc",
		`\74x\76`:    "<x>",
		`\0\1\177`:   "\x00\x01\x7f",
		`\x41\x4a`:   "AJ",
		`\"q\"\\`:    `"q"\`,
		`\1234`:      "S4",
		`end\`:       `end\`,
		`\xZ`:        "xZ",
		`plain text`: "plain text",
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

// A device file's -yy annotation nests the device's ("3</dev/null<char 1:3>>", strace 6.1
// on python3 opening /dev/null): the argument and the return value name the path alone,
// and the nested '>' does not end the annotation, so the arguments after it stay apart.
func TestDeviceAnnotation(t *testing.T) {
	in := `29888 openat(AT_FDCWD</tmp>, "/dev/null", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3</dev/null<char 1:3>>
29888 write(3</dev/null<char 1:3>>, "x", 1) = 1
29888 dup2(3</dev/null<char 1:3>>, 2</tmp/out\74x\76>) = 2</dev/null<char 1:3>>
`
	evs := parseAll(t, &Parser{}, in)
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3: %+v", len(evs), evs)
	}
	if e := evs[0]; e.Malformed || e.Ret != "3" || e.RetPath != "/dev/null" {
		t.Errorf("openat: %+v", e)
	}
	if e := evs[1]; e.Malformed || len(e.Args) != 3 || e.Arg(0).Path != "/dev/null" || e.Arg(0).FD() != 3 || e.Arg(1).Str != "x" {
		t.Errorf("write: %+v", e)
	}
	if e := evs[2]; e.Malformed || len(e.Args) != 2 || e.Arg(0).Path != "/dev/null" || e.Arg(1).Path != "/tmp/out<x>" || e.RetPath != "/dev/null" {
		t.Errorf("dup2: %+v", e)
	}
}
