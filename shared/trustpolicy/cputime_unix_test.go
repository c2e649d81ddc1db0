//go:build unix

package trustpolicy

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time the process has used so far. The benchmarks
// report it per operation ("cpu-ns/op") next to wall time, because on a shared machine the
// wall time mostly measures how long the benchmark waited for a core.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
