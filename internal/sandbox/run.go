package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// errProcesses is the cause of a kill after the pids cgroup refused a fork.
var errProcesses = errors.New("process limit reached")

// shim puts the shell into the sandbox's cgroups ($1 files follow) and execs bwrap, so
// that bwrap and everything it starts are inside them from the first fork.
const shim = `n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"`

// status is what bwrap's --json-status-fd said.
type status struct {
	mu       sync.Mutex
	pidfd    int    // of the sandbox's pid 1, -1 until known
	pidNS    string // "pid:[N]", the sandbox's pid namespace
	exitCode *int
}

func (p *runPlan) run(ctx context.Context, s Spec) (*Result, error) {
	var nameb [8]byte
	_, _ = rand.Read(nameb[:])
	cg := newCgroups("pydepot-sandbox-"+hex.EncodeToString(nameb[:]), p.lim)
	if cg != nil {
		defer func() { _ = cg.remove() }()
	}
	if cg == nil || cg.memory == "" {
		p.withAS()
	}
	command := append(append(append([]string{"--"}, p.cmd...), "--"), s.Args...)

	argsR, argsW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer argsR.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		argsW.Close()
		return nil, err
	}
	defer statusR.Close()

	tctx, cancelTime := context.WithTimeout(ctx, p.lim.Time)
	defer cancelTime()
	kctx, kill := context.WithCancelCause(tctx)
	defer kill(nil)

	bwrapArgs := append([]string{"bwrap", "--args", "3", "--json-status-fd", "4"}, command...)
	cmd := exec.CommandContext(kctx, p.tools.bwrap)
	cmd.Args = bwrapArgs
	if cg != nil {
		files := cg.procsFiles()
		cmd = exec.CommandContext(kctx, "/bin/sh")
		cmd.Args = append(append([]string{"sh", "-c", shim, "sh", strconv.Itoa(len(files))}, files...),
			append([]string{p.tools.bwrap}, bwrapArgs[1:]...)...)
	}
	b := &budget{left: p.lim.OutputBytes}
	var head headBuffer // the start of stderr, for bwrap's own error
	cmd.Stdin = s.Stdin
	if sameWriter(s.Stdout, s.Stderr) {
		// One writer for both (as os/exec does it): one pipe, one goroutine writing.
		w := io.MultiWriter(&head, capped{b, s.Stdout})
		cmd.Stdout, cmd.Stderr = w, w
	} else {
		cmd.Stdout = capped{b, s.Stdout}
		cmd.Stderr = io.MultiWriter(&head, capped{b, s.Stderr})
	}
	cmd.ExtraFiles = []*os.File{argsR, statusW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if cg != nil {
			cg.kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		argsW.Close()
		statusW.Close()
		return nil, fmt.Errorf("sandbox: start bwrap: %w", err)
	}
	statusW.Close()
	go func() {
		var buf bytes.Buffer
		for _, a := range p.opts {
			buf.WriteString(a)
			buf.WriteByte(0)
		}
		_, _ = argsW.Write(buf.Bytes())
		argsW.Close()
	}()
	st := &status{pidfd: -1}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		st.read(io.LimitReader(statusR, 1<<16))
	}()
	stopWatch := make(chan struct{})
	if cg != nil && cg.pids != "" {
		go watchForks(cg, stopWatch, kill)
	} else {
		go watchNamespace(st, p.lim.Processes, stopWatch, kill)
	}

	waitErr := cmd.Wait()
	close(stopWatch)
	reaped := st.reap(10 * time.Second)
	select {
	case <-readDone:
	case <-time.After(time.Second):
	}
	res := &Result{Duration: time.Since(start), OutputDropped: b.droppedBytes()}

	st.mu.Lock()
	code := st.exitCode
	st.mu.Unlock()
	killed := kctx.Err() != nil
	switch {
	case code != nil:
		res.ExitCode = *code
		if *code > 128 && *code <= 128+64 {
			res.Signal = unix.SignalName(syscall.Signal(*code - 128))
		}
	case killed:
		res.ExitCode = 128 + int(syscall.SIGKILL)
		res.Signal = "SIGKILL"
	default:
		msg := strings.TrimSpace(head.String())
		if msg == "" && waitErr != nil {
			msg = waitErr.Error()
		}
		return nil, fmt.Errorf("sandbox: bwrap could not start the command: %s", msg)
	}
	switch {
	case cg.oomKilled():
		res.Limit = LimitMemory
	case errors.Is(context.Cause(kctx), errProcesses), res.ExitCode != 0 && cg.forkRefused():
		res.Limit = LimitProcesses
	case res.Signal == "SIGXFSZ":
		res.Limit = LimitFileSize
	case killed && res.ExitCode != 0 && errors.Is(tctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		res.Limit = LimitTime
	case res.OutputDropped > 0:
		res.Limit = LimitOutput
	}
	if !reaped {
		return res, errors.New("sandbox: the sandbox's processes did not end within 10 s of SIGKILL")
	}
	full, err := sweep(s.Writable, p.lim.FileBytes)
	if err != nil {
		return res, fmt.Errorf("sandbox: clearing set-id bits in the writable folders: %w", err)
	}
	// A program that ignores SIGXFSZ (Python does) fails with EFBIG instead: a file of the
	// limit's size in a writable folder and a failed command say the same.
	if res.Limit == "" && res.ExitCode != 0 && full {
		res.Limit = LimitFileSize
	}
	return res, nil
}

// watchForks kills the sandbox once its pids cgroup has refused a fork.
func watchForks(cg *cgroups, stop <-chan struct{}, kill context.CancelCauseFunc) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if cg.forkRefused() {
				kill(errProcesses)
				cg.kill()
				return
			}
		}
	}
}

// watchNamespace is the process watch without a pids cgroup: RLIMIT_NPROC refuses the
// forks past the limit, and once the sandbox's pid namespace holds that many processes
// (bwrap's init is one of them) it is killed, so that a fork bomb ends at once and is
// reported.
func watchNamespace(st *status, limit int, stop <-chan struct{}, kill context.CancelCauseFunc) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			st.mu.Lock()
			ns := st.pidNS
			st.mu.Unlock()
			if ns != "" && countInNamespace(ns, limit) >= limit {
				kill(errProcesses)
				return
			}
		}
	}
}

// countInNamespace counts the host's processes in the pid namespace ns, up to limit.
func countInNamespace(ns string, limit int) int {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	n := 0
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		if link, err := os.Readlink("/proc/" + name + "/ns/pid"); err == nil && link == ns {
			if n++; n >= limit {
				break
			}
		}
	}
	return n
}

// read decodes bwrap's status documents: {"child-pid": N, "pid-namespace": I, ...} once
// the sandbox's pid 1 exists, {"exit-code": N} when the command has ended.
func (st *status) read(r io.Reader) {
	dec := json.NewDecoder(r)
	for {
		var doc struct {
			ChildPID *int   `json:"child-pid"`
			PidNS    uint64 `json:"pid-namespace"`
			ExitCode *int   `json:"exit-code"`
		}
		if err := dec.Decode(&doc); err != nil {
			return
		}
		if doc.ChildPID != nil {
			st.open(*doc.ChildPID, doc.PidNS)
		}
		if doc.ExitCode != nil {
			st.mu.Lock()
			st.exitCode = doc.ExitCode
			st.mu.Unlock()
		}
	}
}

// open takes a pidfd on the sandbox's pid 1, checking it is the process in the sandbox's
// pid namespace (not a later process that reused the number).
func (st *status) open(pid int, ns uint64) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return
	}
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil || (ns != 0 && link != fmt.Sprintf("pid:[%d]", ns)) {
		unix.Close(fd)
		return
	}
	st.mu.Lock()
	st.pidfd, st.pidNS = fd, link
	st.mu.Unlock()
}

// reap kills the sandbox's pid 1 (when bwrap has not already ended it) and waits for it to
// have exited: the kernel kills the rest of the namespace before, so that once it is gone
// nothing of the sandbox runs.
func (st *status) reap(timeout time.Duration) bool {
	st.mu.Lock()
	fd := st.pidfd
	st.pidfd = -1
	st.mu.Unlock()
	if fd < 0 {
		return true
	}
	defer unix.Close(fd)
	_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		n, err := unix.Poll(fds, 100)
		if n > 0 {
			return true
		}
		if err != nil && !errors.Is(err, unix.EINTR) {
			return false
		}
	}
	return false
}

// sameWriter reports whether a and b are one writer (false for writers that cannot be
// compared).
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a != nil && a == b
}

// headBuffer keeps the first 4 KiB written to it.
type headBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := 4096 - h.buf.Len(); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		h.buf.Write(p[:room])
	}
	return len(p), nil
}

func (h *headBuffer) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.buf.String()
}

// maxSweep bounds the walk of sweep.
const maxSweep = 1 << 20

// sweep clears the set-user-ID and set-group-ID bits of every file under the Writable
// folders, and reports whether one of their files has reached fileLimit bytes. The
// sandbox's files belong, on the host, to the uid that runs pydepot, which can be root: a
// set-user-ID file left in an output folder would run as root for whoever executes it.
// Inside, every mount is nosuid already.
func sweep(mounts []Mount, fileLimit int64) (full bool, err error) {
	n := 0
	var errs []error
	for _, m := range mounts {
		_ = filepath.WalkDir(m.Host, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if n++; n > maxSweep {
				return fs.SkipAll
			}
			if d.Type()&fs.ModeSymlink != 0 {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			if info.Mode().IsRegular() && info.Size() >= fileLimit {
				full = true
			}
			if info.Mode()&(fs.ModeSetuid|fs.ModeSetgid) == 0 {
				return nil
			}
			if err := os.Chmod(p, info.Mode().Perm()|(info.Mode()&fs.ModeSticky)); err != nil {
				errs = append(errs, err)
			}
			return nil
		})
	}
	if n > maxSweep {
		errs = append(errs, fmt.Errorf("more than %d entries in the writable folders", maxSweep))
	}
	return full, errors.Join(errs...)
}
