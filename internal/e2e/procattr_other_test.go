//go:build !linux

package e2e

import "syscall"

// childAttr: only Linux kills a child with its parent (Pdeathsig).
func childAttr() *syscall.SysProcAttr { return nil }
