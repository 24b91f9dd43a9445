package agent

import (
	"testing"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// lidarCheck is one of the judge's LiDAR integrity checks, as
// TestJudgeFlagsLidarChecks drives it.
type lidarCheck struct {
	name    string
	fault   string                      // a fault it sees on every frame at severity 1
	code    level.Code                  // its reason
	feature string                      // its reason's feature
	value   func(float64) bool          // whether a reason's value is plausible
	opts    func(off bool) JudgeOptions // judge options with the check on or off
}

// TestJudgeFlagsLidarChecks: a LiDAR that drops a tenth of its returns at
// random (density_loss 1) goes ERROR with reason surface_holes, and one
// that loses every fourth laser in elevation order (cross_sensor 1) with
// dark_ring, whatever the models say; the same drive clean does not, nor
// does the faulty drive with the check off. cross_sensor's emptied rings
// break the rings' azimuth grid too, which the hole check sees: the dark
// ring case has the cone and hole checks off.
func TestJudgeFlagsLidarChecks(t *testing.T) {
	g := newRig(t, rigOptions{}).lidar
	const n = 20
	for _, c := range []lidarCheck{
		{"surface holes", "density_loss", level.Holes, "hole_frac", func(v float64) bool { return v > 0.05 && v < 0.2 },
			func(off bool) JudgeOptions { return JudgeOptions{Kind: sensors.KindLidar, NoHoleCheck: off} }},
		{"dark rings", "cross_sensor", level.DarkRing, "dark_rings", func(v float64) bool { return v >= 1 && v <= 4 },
			func(off bool) JudgeOptions {
				return JudgeOptions{Kind: sensors.KindLidar, NoRingCheck: off, NoHoleCheck: true, NoConeCheck: true}
			}},
	} {
		for _, tc := range []struct {
			name        string
			faulty, off bool
		}{
			{"clean", false, false},
			{"faulty", true, false},
			{"faulty, check off", true, true},
		} {
			fault := ""
			if tc.faulty {
				fault = c.fault
			}
			flagged, errorFrames := 0, 0
			judgeInjected(t, g, c.opts(tc.off), fault, 1, n, func(i int, v Verdict) {
				// With no model, the only content evidence is the checks'.
				for _, r := range v.Reasons {
					switch {
					case r.Code == c.code && (r.Level != level.Error || r.Feature != c.feature || !c.value(r.Value)):
						t.Fatalf("%s, %s: frame %d: reason %+v", c.name, tc.name, i, r)
					case r.Code == c.code:
						flagged++
					case r.Level > level.OK:
						t.Fatalf("%s, %s: frame %d: unexpected reason %+v", c.name, tc.name, i, r)
					}
				}
				if v.Level == level.Error {
					errorFrames++
				}
			})
			t.Logf("%s, %s: %d of %d frames flagged, %d in ERROR", c.name, tc.name, flagged, n, errorFrames)
			switch {
			case tc.faulty && !tc.off && (flagged != n || errorFrames < n-2):
				t.Errorf("%s, %s: %d frames flagged, %d in ERROR; want all, ERROR from the third", c.name, tc.name, flagged, errorFrames)
			case (!tc.faulty || tc.off) && (flagged != 0 || errorFrames != 0):
				t.Errorf("%s, %s: %d frames flagged, %d in ERROR; want none", c.name, tc.name, flagged, errorFrames)
			}
		}
	}
}
