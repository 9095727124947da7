package strace

import (
	"net/netip"
	"strconv"
	"strings"
)

// Addr is a socket address as strace prints it: {sa_family=AF_INET, sin_port=htons(80),
// sin_addr=inet_addr("1.2.3.4")}, the AF_INET6 form with inet_pton, or AF_UNIX's
// sun_path.
type Addr struct {
	Family string         // "AF_INET", "AF_INET6", "AF_UNIX", ...
	IP     netip.AddrPort // for AF_INET and AF_INET6
	Path   string         // for AF_UNIX ("@name" for an abstract socket)
}

// IsIP reports whether a is an internet address.
func (a Addr) IsIP() bool { return a.IP.IsValid() }

func (a Addr) String() string {
	if a.IP.IsValid() {
		return a.IP.String()
	}
	if a.Path != "" {
		return a.Family + ":" + a.Path
	}
	return a.Family
}

// SockAddr finds the first socket address in raw (an argument: connect's second, or the
// msg_name inside sendmsg's struct).
func SockAddr(raw string) (Addr, bool) {
	i := strings.Index(raw, "sa_family=")
	if i < 0 {
		return Addr{}, false
	}
	s := raw[i+len("sa_family="):]
	fam := s
	if j := strings.IndexAny(s, ", }"); j >= 0 {
		fam = s[:j]
	}
	a := Addr{Family: fam}
	switch fam {
	case "AF_INET":
		port, ok1 := between(s, "sin_port=htons(", ")")
		ip, ok2 := between(s, `inet_addr("`, `"`)
		if !ok1 || !ok2 {
			return a, true
		}
		a.IP = addrPort(ip, port)
	case "AF_INET6":
		port, ok1 := between(s, "sin6_port=htons(", ")")
		ip, ok2 := between(s, `inet_pton(AF_INET6, "`, `"`)
		if !ok1 || !ok2 {
			return a, true
		}
		a.IP = addrPort(ip, port)
	case "AF_UNIX":
		if p, ok := between(s, `sun_path=@"`, `"`); ok {
			a.Path = "@" + unescape(p)
		} else if p, ok := between(s, `sun_path="`, `"`); ok {
			a.Path = unescape(p)
		}
	}
	return a, true
}

func addrPort(ip, port string) netip.AddrPort {
	addr, err := netip.ParseAddr(ip)
	p, err2 := strconv.ParseUint(port, 10, 16)
	if err != nil || err2 != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(addr, uint16(p))
}

func between(s, open, close string) (string, bool) {
	i := strings.Index(s, open)
	if i < 0 {
		return "", false
	}
	s = s[i+len(open):]
	j := strings.Index(s, close)
	if j < 0 {
		return "", false
	}
	return s[:j], true
}

// Socket is what a -yy annotation says of a socket fd: "TCP:[1.2.3.4:5->6.7.8.9:80]",
// "UDP:[938003]" (not connected: its inode), "TCPv6:[[::1]:5->[::1]:9]",
// "UNIX-STREAM:[123->456]".
type Socket struct {
	Proto         string // "TCP", "UDP", "TCPv6", "UDPv6", "UNIX-STREAM", ...
	Inode         uint64 // when the annotation gives only the inode
	Local, Remote netip.AddrPort
}

// ParseSocket reads a socket annotation (Arg.Path of a socket fd).
func ParseSocket(annotation string) (Socket, bool) {
	proto, rest, ok := strings.Cut(annotation, ":[")
	if !ok || !strings.HasSuffix(rest, "]") || proto == "" || strings.ContainsAny(proto, "/ ") {
		return Socket{}, false
	}
	rest = rest[:len(rest)-1]
	so := Socket{Proto: proto}
	if n, err := strconv.ParseUint(rest, 10, 64); err == nil {
		so.Inode = n
		return so, true
	}
	if proto == "socket" {
		return so, true
	}
	l, r, ok := strings.Cut(rest, "->")
	if !ok {
		return so, true
	}
	so.Local, _ = netip.ParseAddrPort(l)
	so.Remote, _ = netip.ParseAddrPort(r)
	return so, true
}
