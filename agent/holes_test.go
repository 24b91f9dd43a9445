package agent

import (
	"testing"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// TestJudgeFlagsSurfaceHoles: a LiDAR that drops a tenth of its returns
// at random (density_loss 1) goes ERROR with reason surface_holes
// whatever the models say; the same drive clean does not, nor does the
// lossy drive with the check off.
func TestJudgeFlagsSurfaceHoles(t *testing.T) {
	g := newRig(t, rigOptions{}).lidar
	const n = 20
	for _, tc := range []struct {
		name       string
		lossy, off bool
	}{
		{"clean", false, false},
		{"lossy", true, false},
		{"lossy, check off", true, true},
	} {
		fault := ""
		if tc.lossy {
			fault = "density_loss"
		}
		holeFrames, errorFrames := 0, 0
		judgeInjected(t, g, JudgeOptions{Kind: sensors.KindLidar, NoHoleCheck: tc.off}, fault, 1, n, func(i int, v Verdict) {
			// With no model, the only content evidence is the checks'.
			for _, r := range v.Reasons {
				switch {
				case r.Code == level.Holes && (r.Level != level.Error || r.Feature != "hole_frac" || !(r.Value > 0.05 && r.Value < 0.2)):
					t.Fatalf("%s: frame %d: reason %+v", tc.name, i, r)
				case r.Code == level.Holes:
					holeFrames++
				case r.Level > level.OK:
					t.Fatalf("%s: frame %d: unexpected reason %+v", tc.name, i, r)
				}
			}
			if v.Level == level.Error {
				errorFrames++
			}
		})
		t.Logf("%s: %d of %d frames with holes, %d in ERROR", tc.name, holeFrames, n, errorFrames)
		switch {
		case tc.lossy && !tc.off && (holeFrames != n || errorFrames < n-2):
			t.Errorf("%s: %d frames with holes, %d in ERROR; want all, ERROR from the third", tc.name, holeFrames, errorFrames)
		case (!tc.lossy || tc.off) && (holeFrames != 0 || errorFrames != 0):
			t.Errorf("%s: %d frames with holes, %d in ERROR; want none", tc.name, holeFrames, errorFrames)
		}
	}
}
