package strace

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// traceOf builds n bytes of strace output from a mix of real lines (split calls,
// annotations, escapes, a long argv every so often).
func traceOf(n int) []byte {
	lines := []string{
		`17743 openat(AT_FDCWD</tmp/trtest>, "/usr/lib/python3.11/__pycache__/types.cpython-311.pyc", O_RDONLY|O_CLOEXEC) = 3</usr/lib/python3.11/__pycache__/types.cpython-311.pyc>`,
		`17743 connect(3<TCP:[923694]>, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)`,
		`17743 getsockopt(3<TCP:[923694]>, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0`,
		`17743 sendto(3<UDP:[923696]>, "hello\n\1\"x", 9, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.1")}, 16) = 9`,
		`17743 vfork( <unfinished ...>`,
		`17744 execve("/bin/sh", ["/bin/sh", "-c", "true"], 0x7ffc89c322e0 /* 35 vars */ <unfinished ...>`,
		`17743 <... vfork resumed>)              = 17744`,
		`17744 <... execve resumed>)             = 0`,
		`17744 execve("/bin/sh", ["sh", "-c", "` + strings.Repeat(`x\"y\n`, 2000) + `"], 0x7ffc /* 3 vars */) = 0`,
	}
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.WriteString(lines[i%len(lines)])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// BenchmarkParse shows the parser is linear: MB/s is the same for 1 MB and 10 MB of
// mixed output and for one 10 MB line (run with -bench Parse -benchtime 3x).
func BenchmarkParse(b *testing.B) {
	oneLine := []byte(`9 execve("/bin/sh", ["sh", "-c", "` + strings.Repeat(`\"(<[{`, 2<<20) + `"], 0x7ffc /* 3 vars */) = 0` + "\n")
	for _, c := range []struct {
		name string
		in   []byte
	}{{"mixed-1MB", traceOf(1 << 20)}, {"mixed-10MB", traceOf(10 << 20)}, {"one-line-10MB", oneLine}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.in)))
			for b.Loop() {
				events := 0
				if err := Parse(bytes.NewReader(c.in), func(*Event) error { events++; return nil }); err != nil {
					b.Fatal(err)
				}
				if events == 0 {
					b.Fatal(fmt.Errorf("no events"))
				}
			}
		})
	}
}
