// Package testcpu measures the CPU a benchmark's process uses, for benchmarks on a shared
// machine, where wall time follows the neighbours more than the code.
package testcpu

import (
	"syscall"
	"time"
)

// Used is the CPU time (user and system) the process has used so far; a benchmark
// reports the difference over its timed parts.
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
