package cputime

import (
	"runtime"
	"testing"
	"time"
)

// Report runs body in the b.Loop of a benchmark, locked to one OS thread,
// and reports the thread's CPU time per iteration as "cpu-ns/op" where the
// platform can measure it (Linux).
func Report(b *testing.B, body func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, ok := thread()
	n := 0
	for b.Loop() {
		body()
		n++
	}
	end, ok2 := thread()
	if ok && ok2 && n > 0 {
		b.ReportMetric(float64((end-start)/time.Duration(n)), "cpu-ns/op")
	}
}
