package e2e

import "syscall"

// childAttr makes a long-running child (a server, an upstream) die with the test process:
// when a test binary is killed or times out, TestMain's cleanup never runs, and without
// this nginx, devpi-server or pypiserver would outlive it on their ports.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
