package tracereport

import (
	"net/netip"
	"path"
	"strings"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/strace"
)

// blocked reports whether a failed change was stopped by permissions (an attempt worth
// reporting), rather than failing because there was nothing to change (ENOENT, EEXIST).
func blocked(errno string) bool {
	switch errno {
	case "EACCES", "EPERM", "EROFS", "EDQUOT", "ENOSPC", "EFBIG":
		return true
	}
	return false
}

var writeFlags = []string{"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"}

func (r *Report) open(e *strace.Event, a strace.Arg, flags string, creat bool) {
	p := r.path(e, a)
	if p == "" {
		return
	}
	writing := creat
	for _, f := range writeFlags {
		if strings.Contains(flags, f) {
			writing = true
		}
	}
	real := p
	if strings.HasPrefix(e.RetPath, "/") {
		real = path.Clean(e.RetPath) // what the kernel opened, symlinks followed
	}
	if writing {
		r.write(e, real, "wrote")
		if real != p && !e.Failed() {
			r.write(e, p, "wrote")
		}
		if !e.Failed() && strings.Contains(flags, "O_CREAT") {
			r.created(real)
		}
		return
	}
	if p == "/etc/resolv.conf" && !e.Failed() {
		r.resolv = true
	}
	for _, q := range []string{p, real} {
		if r.secret(q) {
			sev := checkreport.High
			what := "read"
			if e.Errno == "ENOENT" {
				sev, what = checkreport.Medium, "looked for"
			}
			r.add(checkreport.ReadSecrets, sev, "%s %s", what, q)
			return
		}
	}
}

// secretPaths are the credential files and folders a thief reads, under HOME.
var secretPaths = []string{
	".ssh", ".aws", ".netrc", ".pypirc", ".gnupg", ".git-credentials", ".docker/config.json",
	".kube/config", ".config/gcloud", ".azure", ".npmrc", ".config/gh/hosts.yml",
	".password-store", ".local/share/keyrings", ".vault-token",
}

// systemSecrets are the system's own secrets.
var systemSecrets = []string{"/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/sudoers", "/root/.ssh", "/etc/ssh/ssh_host_"}

func (r *Report) secret(p string) bool {
	for _, d := range r.p.Decoys {
		if p == path.Clean(d) {
			return true
		}
	}
	if r.p.Home != "" {
		for _, s := range secretPaths {
			if under(p, path.Join(r.p.Home, s)) {
				return true
			}
		}
	}
	for _, s := range systemSecrets {
		if p == s || strings.HasPrefix(p, s) && (strings.HasSuffix(s, "_") || strings.HasPrefix(p, s+"/")) {
			return true
		}
	}
	return strings.Contains(p, "/.ssh/id_") || strings.Contains(p, "/.aws/credentials")
}

// ignoredWrites are the device files every program writes.
var ignoredWrites = []string{"/dev/null", "/dev/tty", "/dev/zero", "/dev/full", "/dev/stdout", "/dev/stderr", "/dev/pts", "/dev/shm", "/proc/self/fd", "/dev/fd"}

// persistence are places a write to makes something run later (or steals later
// credentials): under HOME, and the system's.
var homePersistence = []string{
	".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc", ".zprofile",
	".zshenv", ".ssh", ".config/autostart", ".config/systemd", ".local/bin", ".gitconfig",
	".pip", ".config/pip", ".pypirc", ".netrc", ".aws", ".docker",
}

var systemPaths = []string{"/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/var/spool/cron", "/root"}

// write judges one change of a file: a pth finding for a startup hook, a write-outside
// finding when it is not under an allowed prefix.
func (r *Report) write(e *strace.Event, p, verb string) {
	if p == "" || underAny(p, ignoredWrites) {
		return
	}
	failed := e.Failed()
	if failed && !blocked(e.Errno) {
		return
	}
	if failed && strings.Contains(p, "/__pycache__/") {
		return // the interpreter tried to cache bytecode next to a read-only module
	}
	if verb == "deleted" {
		r.removed(p)
	}
	suffix := ""
	if failed {
		suffix = " (" + e.Errno + ")"
	}
	if verb != "deleted" && !failed {
		r.hook(p)
	}
	if underAny(p, r.p.Allowed) || underAny(p, r.p.Temp) {
		return
	}
	sev := checkreport.Medium
	if r.p.Home != "" && (p == r.p.Home || under(p, r.p.Home)) {
		for _, h := range homePersistence {
			if under(p, path.Join(r.p.Home, h)) {
				sev = checkreport.High
			}
		}
		r.add(checkreport.WriteOutside, sev, "%s %s in HOME%s", verb, p, suffix)
		return
	}
	if underAny(p, systemPaths) {
		sev = checkreport.High
	}
	r.add(checkreport.WriteOutside, sev, "%s %s%s", verb, p, suffix)
}

// hook reports a .pth file or a sitecustomize/usercustomize module written into the
// install prefix (anywhere when the policy names none): Python runs them at every start.
func (r *Report) hook(p string) {
	if r.p.Prefix != "" && !under(p, r.p.Prefix) {
		return // pip's isolated build environments (setuptools' own .pth) live elsewhere
	}
	base := path.Base(p)
	switch {
	case strings.HasSuffix(base, ".pth"):
		r.add(checkreport.Pth, checkreport.Medium, "installs %s (Python runs its import lines at every start)", p)
	case base == "sitecustomize.py" || base == "usercustomize.py":
		r.add(checkreport.Pth, checkreport.Medium, "installs %s (Python imports it at every start)", p)
	}
}

func (r *Report) rename(e *strace.Event, from, to string) {
	r.write(e, from, "moved away")
	r.write(e, to, "wrote")
	if !e.Failed() && to != "" {
		if _, ok := r.temp[from]; ok {
			r.created(to)
		}
	}
}

// created and removed follow the files made in the scratch folders.
func (r *Report) created(p string) {
	if !underAny(p, r.p.Temp) {
		return
	}
	if len(r.temp) >= maxHeld {
		r.tempLost = true
		return
	}
	if _, ok := r.temp[p]; !ok {
		r.tempN++
		r.temp[p] = r.tempN
	}
}

func (r *Report) removed(p string) { delete(r.temp, p) }

// maxLeftovers is how many leftover scratch files are named one by one.
const maxLeftovers = 10

func (r *Report) tempFindings() {
	if len(r.temp) == 0 && !r.tempLost {
		return
	}
	left := make([]string, 0, len(r.temp))
	for p := range r.temp {
		left = append(left, p)
	}
	sortByCreation(left, r.temp)
	for i, p := range left {
		if i == maxLeftovers {
			r.add(checkreport.WriteOutside, checkreport.Info, "left %d more files in the scratch folder", len(left)-maxLeftovers)
			break
		}
		r.add(checkreport.WriteOutside, checkreport.Info, "left %s in the scratch folder", p)
	}
	if r.tempLost {
		r.add(checkreport.WriteOutside, checkreport.Info, "created more than %d files in the scratch folder", maxHeld)
	}
	clear(r.temp)
	r.tempLost = false
}

func sortByCreation(ps []string, order map[string]int) {
	for i := 1; i < len(ps); i++ { // insertion sort is fine: at most maxHeld, once
		for j := i; j > 0 && order[ps[j]] < order[ps[j-1]]; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "csh": true, "tcsh": true, "fish": true, "busybox": true, "ash": true}

var netTools = map[string]bool{"curl": true, "wget": true, "nc": true, "ncat": true, "netcat": true, "socat": true, "ssh": true, "scp": true, "sftp": true, "telnet": true, "ftp": true, "rsync": true}

func execSeverity(base string) checkreport.Severity {
	if shells[base] || netTools[base] {
		return checkreport.High
	}
	return checkreport.Medium
}

func (r *Report) expected(p string) bool {
	base := path.Base(p)
	for _, x := range r.p.Exec {
		if strings.Contains(x, "/") {
			if path.Clean(x) == p {
				return true
			}
		} else if x == base {
			return true
		}
	}
	return false
}

func (r *Report) exec(e *strace.Event, p string, argv strace.Arg) {
	if p == "" {
		return
	}
	args := argv.Strings()
	r.secretsIn(strings.Join(args, " "), "passed a planted secret to "+path.Base(p))
	base := path.Base(p)
	if r.expected(p) {
		return
	}
	if e.Failed() {
		if len(r.execFailed) < maxHeld {
			r.execFailed[base] = e.Errno
		}
		return
	}
	r.execOK[base] = true
	cmd := strings.Join(args, " ")
	if len(cmd) > 200 {
		cmd = cmd[:200] + "…"
	}
	r.add(checkreport.Exec, execSeverity(base), "ran %s: %q", p, cmd)
}

// secretsIn reports a planted secret value found in s.
func (r *Report) secretsIn(s, what string) {
	for _, v := range r.p.Secrets {
		if v != "" && strings.Contains(s, v) {
			r.add(checkreport.ReadSecrets, checkreport.High, "%s (%.12s…)", what, v)
		}
	}
}

func loopback(ap netip.AddrPort) bool {
	return ap.Addr().Unmap().IsLoopback()
}

func (r *Report) connectFinding(c *strace.Connect) {
	if !c.Addr.IsIP() {
		return
	}
	outcome := "connected"
	switch c.Result {
	case "":
	case "EINPROGRESS":
		outcome = "no answer"
	default:
		outcome = c.Result
	}
	proto := c.Proto
	if proto == "" {
		proto = c.Addr.Family
	}
	switch {
	case c.Addr.IP.Port() == 53:
		r.add(checkreport.Network, checkreport.High, "DNS lookup: connect to %s over %s (%s)", c.Addr.IP, proto, outcome)
	case !loopback(c.Addr.IP):
		r.add(checkreport.Network, checkreport.High, "connect to %s over %s (%s)", c.Addr.IP, proto, outcome)
	}
}

func (r *Report) send(e *strace.Event) {
	so, _ := strace.ParseSocket(e.Arg(0).Path)
	dest := so.Remote
	if a, ok := strace.SockAddr(e.Arg(1).Raw + " " + e.Arg(4).Raw); ok && a.IsIP() {
		dest = a.IP
	}
	var buf strings.Builder
	for _, a := range e.Args {
		for _, q := range a.AllStrings() {
			buf.WriteString(q)
		}
	}
	r.secretsIn(buf.String(), "sent a planted secret")
	udp := strings.HasPrefix(so.Proto, "UDP")
	switch {
	case dest.IsValid() && dest.Port() == 53:
		r.add(checkreport.Network, checkreport.High, "DNS lookup: sent to %s", dest)
	case r.resolv && udp:
		r.add(checkreport.Network, checkreport.High, "DNS lookup: read /etc/resolv.conf, then sent over UDP to %s", dest)
	case dest.IsValid() && !loopback(dest):
		r.add(checkreport.Network, checkreport.High, "sent to %s over %s", dest, so.Proto)
	}
}
