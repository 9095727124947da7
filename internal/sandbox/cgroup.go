package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroups are the v1 cgroups (pids, memory) made for one sandbox when pydepot runs as
// root, where RLIMIT_NPROC does not apply (the sandbox uid maps to root) and a memory
// cgroup is writable. Either may be "" when its hierarchy is not available.
type cgroups struct {
	pids, memory string
}

// cgroupRoot is where the v1 hierarchies are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// newCgroups makes the sandbox's cgroups next to this process's own; nothing when not
// root or when a hierarchy is missing or not writable.
func newCgroups(name string, lim Limits) *cgroups {
	if os.Geteuid() != 0 {
		return nil
	}
	own := ownCgroups()
	cg := &cgroups{}
	if d, ok := makeCgroup("pids", own["pids"], name); ok {
		if writeFile(filepath.Join(d, "pids.max"), strconv.Itoa(lim.Processes)) == nil {
			cg.pids = d
		} else {
			_ = os.Remove(d)
		}
	}
	if d, ok := makeCgroup("memory", own["memory"], name); ok {
		if writeFile(filepath.Join(d, "memory.limit_in_bytes"), strconv.FormatInt(lim.MemoryBytes, 10)) == nil {
			_ = writeFile(filepath.Join(d, "memory.memsw.limit_in_bytes"), strconv.FormatInt(lim.MemoryBytes, 10))
			cg.memory = d
		} else {
			_ = os.Remove(d)
		}
	}
	if cg.pids == "" && cg.memory == "" {
		return nil
	}
	return cg
}

// ownCgroups reads /proc/self/cgroup: v1 controller name -> path.
func ownCgroups() map[string]string {
	out := map[string]string{}
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}

func makeCgroup(controller, own, name string) (string, bool) {
	if own == "" {
		return "", false
	}
	base := filepath.Join(cgroupRoot, controller, own)
	if _, err := os.Stat(filepath.Join(base, "cgroup.procs")); err != nil {
		return "", false
	}
	d := filepath.Join(base, name)
	if err := os.Mkdir(d, 0o755); err != nil {
		return "", false
	}
	return d, true
}

func writeFile(p, v string) error {
	return os.WriteFile(p, []byte(v), 0o644)
}

// procsFiles are the cgroup.procs files the sandbox's first process joins.
func (cg *cgroups) procsFiles() []string {
	var out []string
	for _, d := range []string{cg.pids, cg.memory} {
		if d != "" {
			out = append(out, filepath.Join(d, "cgroup.procs"))
		}
	}
	return out
}

// counter reads "key N" from a cgroup file (pids.events, memory.oom_control).
func counter(file, key string) int64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// forkRefused reports whether the pids cgroup refused a fork.
func (cg *cgroups) forkRefused() bool {
	return cg != nil && cg.pids != "" && counter(filepath.Join(cg.pids, "pids.events"), "max") > 0
}

// oomKilled reports whether the memory cgroup killed a process.
func (cg *cgroups) oomKilled() bool {
	return cg != nil && cg.memory != "" && counter(filepath.Join(cg.memory, "memory.oom_control"), "oom_kill") > 0
}

// kill sends SIGKILL to every process of the cgroups.
func (cg *cgroups) kill() {
	for _, f := range cg.procsFiles() {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(s); err == nil && pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// remove kills what is left, waits (up to 10 s) for the cgroups to empty and removes them.
func (cg *cgroups) remove() error {
	deadline := time.Now().Add(10 * time.Second)
	var errs []error
	for _, d := range []string{cg.pids, cg.memory} {
		if d == "" {
			continue
		}
		for {
			cg.kill()
			err := os.Remove(d)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return errors.Join(errs...)
}
