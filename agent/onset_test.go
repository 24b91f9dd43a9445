package agent

import (
	"testing"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// onsetCheck is a camera check that finds a fault by its onset, as the
// judge runs it.
type onsetCheck struct {
	fault   string              // catalogue fault injected at severity 2 after a clean lead-in
	code    level.Code          // the reason it gives
	feature string              // the reason's feature
	lo, hi  float64             // the range the reason's value is to lie in
	off     func(*JudgeOptions) // turns the check off
}

// judgeFlags: the fault after a clean lead-in makes the camera ERROR with
// the check's reason whatever the models say, from the third faulty frame;
// the same drive clean does not, nor does the faulty drive with the check
// off.
func judgeFlags(t *testing.T, c onsetCheck) {
	t.Helper()
	g := newRig(t, rigOptions{camW: 320, camH: 240}).cam
	const lead, n = 10, 30
	for _, tc := range []struct {
		name        string
		faulty, off bool
	}{
		{"clean", false, false},
		{"faulty", true, false},
		{"faulty, check off", true, true},
	} {
		flagged, errorFrames := 0, 0
		fault := ""
		if tc.faulty {
			fault = c.fault
		}
		o := JudgeOptions{Kind: sensors.KindCamera}
		if tc.off {
			c.off(&o)
		}
		judgeInjectedAfter(t, g, o, fault, 2, lead, lead+n, func(i int, v Verdict) {
			// With no model, the only content evidence is the checks'.
			for _, r := range v.Reasons {
				switch {
				case r.Code == c.code && (i < lead || r.Level != level.Error || r.Feature != c.feature || !(r.Value > c.lo && r.Value < c.hi)):
					t.Fatalf("%s: frame %d: reason %+v", tc.name, i, r)
				case r.Code == c.code:
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
		case tc.faulty && !tc.off && (flagged != n || errorFrames != n-2):
			t.Errorf("%s: %d frames flagged, %d in ERROR; want all, ERROR from the third", tc.name, flagged, errorFrames)
		case (!tc.faulty || tc.off) && (flagged != 0 || errorFrames != 0):
			t.Errorf("%s: %d frames flagged, %d in ERROR; want none", tc.name, flagged, errorFrames)
		}
	}
}

// TestJudgeFlagsLensDirt: dirt landing on a camera's lens (lens_occlusion
// 2: a dark blob over 15 % of the image) is lens_dirt, as judgeFlags says.
func TestJudgeFlagsLensDirt(t *testing.T) {
	judgeFlags(t, onsetCheck{"lens_occlusion", level.LensDirt, "dirt_area", 0.02, 0.5, func(o *JudgeOptions) { o.NoDirtCheck = true }})
}

// TestJudgeFlagsVeil: light laid over a camera's view at once (contrast 2:
// the image pulled to a fifth of its spread about its mean) is veil, as
// judgeFlags says.
func TestJudgeFlagsVeil(t *testing.T) {
	judgeFlags(t, onsetCheck{"contrast", level.Veil, "veil_offset", 0.5, 1, func(o *JudgeOptions) { o.NoVeilCheck = true }})
}
