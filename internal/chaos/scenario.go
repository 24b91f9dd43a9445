package chaos

import (
	"fmt"
	"strings"
	"time"
)

// Cycle is the period of the fault scenario Scenario writes.
const Cycle = 40 * time.Second

// Scenario returns a fault scenario (docs/faults.md) for a LiDAR lidar0 and
// a camera cam0 that changes their levels every few seconds, for at least
// d: each Cycle the LiDAR is disconnected (STALE), fogged and stuck, and the
// camera frozen, occluded and drops frames (ERROR or WARN), with clean
// stretches between so that they recover.
func Scenario(d time.Duration) string {
	var b strings.Builder
	b.WriteString("name: chaos\nseed: 7\nevents:\n")
	type ev struct {
		at       int
		sensor   string
		fault    string
		severity int
		dur      int
	}
	cycle := []ev{
		{4, "lidar0", "disconnect", 1, 4},
		{7, "cam0", "frozen", 3, 5},
		{14, "lidar0", "fog", 3, 6},
		{19, "cam0", "lens_occlusion", 3, 6},
		{27, "lidar0", "stuck_scan", 3, 5},
		{30, "cam0", "frame_drops", 3, 4},
	}
	n := int(d/Cycle) + 1
	for i := range n {
		base := i * int(Cycle/time.Second)
		for _, e := range cycle {
			fmt.Fprintf(&b, "  - {at: %ds, sensor: %s, fault: %s, severity: %d, for: %ds}\n", base+e.at, e.sensor, e.fault, e.severity, e.dur)
		}
	}
	return b.String()
}
