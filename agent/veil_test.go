package agent

import (
	"testing"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// TestJudgeFlagsVeil: light laid over a camera's view at once (contrast 2
// after a clean lead-in: the image pulled to a fifth of its spread about
// its mean) makes the camera ERROR with reason veil whatever the models
// say, from the third faulty frame; the same drive clean does not, nor
// does the veiled drive with the check off.
func TestJudgeFlagsVeil(t *testing.T) {
	g := newRig(t, rigOptions{camW: 320, camH: 240}).cam
	const lead, n = 10, 30
	for _, tc := range []struct {
		name        string
		veiled, off bool
	}{
		{"clean", false, false},
		{"veiled", true, false},
		{"veiled, check off", true, true},
	} {
		flagged, errorFrames := 0, 0
		fault := ""
		if tc.veiled {
			fault = "contrast"
		}
		judgeInjectedAfter(t, g, JudgeOptions{Kind: sensors.KindCamera, NoVeilCheck: tc.off}, fault, 2, lead, lead+n, func(i int, v Verdict) {
			// With no model, the only content evidence is the checks'.
			for _, r := range v.Reasons {
				switch {
				case r.Code == level.Veil && (i < lead || r.Level != level.Error || r.Feature != "veil_offset" || !(r.Value > 0.5 && r.Value < 1)):
					t.Fatalf("%s: frame %d: reason %+v", tc.name, i, r)
				case r.Code == level.Veil:
					flagged++
				case r.Level > level.OK:
					t.Fatalf("%s: frame %d: unexpected reason %+v", tc.name, i, r)
				}
			}
			if v.Level == level.Error {
				errorFrames++
			}
		})
		t.Logf("%s: %d of %d faulty frames flagged, %d in ERROR", tc.name, flagged, n, errorFrames)
		switch {
		case tc.veiled && !tc.off && (flagged != n || errorFrames != n-2):
			t.Errorf("%s: %d frames flagged, %d in ERROR; want all, ERROR from the third", tc.name, flagged, errorFrames)
		case (!tc.veiled || tc.off) && (flagged != 0 || errorFrames != 0):
			t.Errorf("%s: %d frames flagged, %d in ERROR; want none", tc.name, flagged, errorFrames)
		}
	}
}
