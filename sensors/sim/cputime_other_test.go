//go:build !unix

package sim

import "time"

// cpuTime is unavailable here; BenchmarkSimSecond then reports wall time only.
func cpuTime() time.Duration { return 0 }
