package agent

import (
	"testing"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// TestJudgeFlagsIntermittentBlankFrames: a camera that goes black on every
// third frame (black_frame 1) never has 3 bad frames of 5 from its blank
// frames alone; the blank-frame check makes every frame bad from the
// second blank one, so the sensor goes ERROR and stays there. The same
// drive clean has no blank frame, and frames of one value are never
// frozen-frame evidence alone (the black ones here are not consecutive).
func TestJudgeFlagsIntermittentBlankFrames(t *testing.T) {
	g := newRig(t, rigOptions{camW: 160, camH: 120}).cam
	const n = 60
	for _, fault := range []string{"", "black_frame"} {
		firstError := -1
		judgeInjected(t, g, JudgeOptions{Kind: sensors.KindCamera}, fault, 1, n, func(i int, v Verdict) {
			for _, r := range v.Reasons {
				switch {
				case r.Code == level.Blank && (fault == "" || r.Level != level.Error || r.Feature != "blank_frames" || !(r.Value >= 1 && r.Value <= 16)):
					t.Fatalf("%q: frame %d: reason %+v", fault, i, r)
				case r.Code != level.Blank && r.Level > level.OK:
					t.Fatalf("%q: frame %d: unexpected reason %+v", fault, i, r)
				}
			}
			if v.Level == level.Error && firstError < 0 {
				firstError = i
			}
			// The fault blanks frames 2, 5, 8, …: from frame 5 every
			// frame is bad, and 3 of 5 holds from frame 7 on.
			if fault != "" && i >= 7 && (v.Level != level.Error || !v.Bad) {
				t.Fatalf("frame %d: %v, bad %v; want ERROR on every frame", i, v.Level, v.Bad)
			}
		})
		if fault == "" && firstError >= 0 {
			t.Errorf("clean drive: ERROR at frame %d", firstError)
		}
		t.Logf("%q: first ERROR at frame %d", fault, firstError)
	}
}
