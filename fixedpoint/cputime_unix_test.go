//go:build unix

package fixedpoint

import (
	"syscall"
	"time"
)

// cpuTime returns the user+system CPU time of the process. Benchmarks report
// it per operation beside ns/op because wall time on a shared, loaded
// machine mostly measures the other tenants.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
