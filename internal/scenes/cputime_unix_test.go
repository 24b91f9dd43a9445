//go:build unix

package scenes

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process and its waited-for
// children (ffmpeg) have used: unlike wall time it does not grow when other
// processes share the cores.
func cpuTime() time.Duration {
	var t time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			return 0
		}
		t += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return t
}
