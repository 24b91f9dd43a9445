package agent

import (
	"testing"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// TestJudgeFlagsDarkRings: a LiDAR that loses every fourth laser in
// elevation order (cross_sensor 1) goes ERROR with reason dark_ring
// whatever the models say; the same drive clean does not, nor does the
// faulty drive with the check off. The cone and hole checks are off:
// cross_sensor's emptied rings also break the rings' azimuth grid, which
// the hole check sees.
func TestJudgeFlagsDarkRings(t *testing.T) {
	g := newRig(t, rigOptions{}).lidar
	const n = 20
	for _, tc := range []struct {
		name        string
		faulty, off bool
	}{
		{"clean", false, false},
		{"lasers lost", true, false},
		{"lasers lost, check off", true, true},
	} {
		fault := ""
		if tc.faulty {
			fault = "cross_sensor"
		}
		darkFrames, errorFrames := 0, 0
		judgeInjected(t, g, JudgeOptions{Kind: sensors.KindLidar, NoRingCheck: tc.off, NoHoleCheck: true, NoConeCheck: true}, fault, 1, n, func(i int, v Verdict) {
			// With no model, the only content evidence is the checks'.
			for _, r := range v.Reasons {
				switch {
				case r.Code == level.DarkRing && (r.Level != level.Error || r.Feature != "dark_rings" || r.Value < 1 || r.Value > 4):
					t.Fatalf("%s: frame %d: reason %+v", tc.name, i, r)
				case r.Code == level.DarkRing:
					darkFrames++
				case r.Level > level.OK:
					t.Fatalf("%s: frame %d: unexpected reason %+v", tc.name, i, r)
				}
			}
			if v.Level == level.Error {
				errorFrames++
			}
		})
		t.Logf("%s: %d of %d frames with a dark ring, %d in ERROR", tc.name, darkFrames, n, errorFrames)
		switch {
		case tc.faulty && !tc.off && (darkFrames != n || errorFrames < n-2):
			t.Errorf("%s: %d frames with a dark ring, %d in ERROR; want all, ERROR from the third", tc.name, darkFrames, errorFrames)
		case (!tc.faulty || tc.off) && (darkFrames != 0 || errorFrames != 0):
			t.Errorf("%s: %d frames with a dark ring, %d in ERROR; want none", tc.name, darkFrames, errorFrames)
		}
	}
}
