package decision

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/level"
)

func mustNew(t *testing.T, o Options) *Decider {
	t.Helper()
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// run feeds a string of frame verdicts: '.' clean, 'w' suspect by stream
// timing, 'h' suspect by content (health model), 'x' bad by score, 'r' bad
// by the score's rise, 'e' bad by the health model, 'f' bad by a certain
// check (frozen frame), 's' stale; it returns the level letters.
func run(d *Decider, seq string) string {
	var out strings.Builder
	for _, c := range seq {
		in := Input{Scored: true, Score: 1, Threshold: 2}
		switch c {
		case 'w':
			in.Reasons = []level.Reason{{Code: level.RateLow, Level: level.Warn}}
		case 'h':
			in.Reasons = []level.Reason{{Code: level.HealthWarn, Feature: "z_p95", Value: 3, Level: level.Warn}}
		case 'x':
			in.Score = 3
		case 'r':
			in.Reasons = []level.Reason{{Code: level.ScoreRise, Feature: "log_rise", Value: 2, Level: level.Error}}
		case 'e':
			in.Reasons = []level.Reason{{Code: level.HealthError, Feature: "no_return_frac", Value: 0.4, Level: level.Error}}
		case 'f':
			in.Reasons = []level.Reason{{Code: level.Frozen, Level: level.Error}}
		}
		var st State
		if c == 's' {
			st = d.MarkStale(time.Second)
		} else {
			st = d.Frame(in)
		}
		out.WriteByte(st.Level.String()[0])
	}
	return out.String()
}

func TestPersistence(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"clean", ".....", "OOOOO"},
		{"a lone suspect frame does not warn", "..x....w..", "OOOOOOOOOO"},
		{"two of five warn, held until N clean", ".x.x.....", "OOOWWWWWO"},
		{"WARN by other checks", "ww.....", "OWWWWWO"},
		{"three of five enter ERROR", "x.x.x", "OOWWE"},
		{"ERROR held until M clean", "xxx" + strings.Repeat(".", 9) + "..", "OWE" + strings.Repeat("E", 9) + "OO"},
		{"a bad frame restarts the clean count", "xxx.....x" + strings.Repeat(".", 10), "OWE" + "EEEEEE" + strings.Repeat("E", 9) + "O"},
		{"warn during recovery does not hold ERROR", "xxx" + strings.Repeat("w", 10) + ".....", "OWE" + strings.Repeat("E", 9) + "WWWWWO"},
		{"other checks count as bad", "eee", "OWE"},
		{"each calibrated alarm counts its own bad frames", "xxr..xex", "OWWWWWWW"},
		{"and its own suspect frames", "x.r.x.", "OOOOWW"},
		{"certain evidence counts with every alarm", "xfx", "OWE"},
		{"certain evidence alone", "f.ff", "OOWE"},
		{"stale overrides and clears", "xx" + "s" + "x..", "OW" + "S" + "OOO"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := mustNew(t, Options{})
			if got := run(d, tc.in); got != tc.want {
				t.Errorf("in %s\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

// TestSustained: suspect frames that do not stop enter ERROR, however weak
// the evidence of each; a burst that ends stays at WARN.
func TestSustained(t *testing.T) {
	o := Options{SustainK: 6, SustainN: 10}
	cases := []struct {
		name, in, want string
	}{
		{"a burst shorter than SustainK warns", "hhhhh" + ".....", "OWWWW" + "WWWWO"},
		{"SustainK of SustainN enter ERROR", "hhhhhh", "OWWWWE"},
		{"with gaps", "hh.hh.hh", "OWWWWWWE"},
		{"suspect frames hold ERROR while the rule holds", "hhhhhh" + strings.Repeat("h", 20), "OWWWWE" + strings.Repeat("E", 20)},
		{"ERROR left after M frames that are neither bad nor held", "hhhhhh" + strings.Repeat(".", 10) + "h", "OWWWWE" + strings.Repeat("E", 9) + "O" + "O"},
		{"bad frames count as suspect", "xx.hhhh", "OWWWWWE"},
		{"stream timing never sustains", strings.Repeat("w", 30), "O" + strings.Repeat("W", 29)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(mustNew(t, o), tc.in); got != tc.want {
				t.Errorf("in %s\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
	d := mustNew(t, o)
	var st State
	for range 6 {
		st = d.Frame(Input{Scored: true, Score: 3, Threshold: 4, WarnThreshold: 2})
	}
	if st.Level != Error || st.Trusted || st.Bad != 0 || st.Sustained != 6 || !st.Held || st.Cause != level.CauseSensor ||
		st.Message() != "ERROR: 6 of last 10 frames suspect (score_high(score=3))" {
		t.Errorf("sustained: %+v %q", st, st.Message())
	}
	// Off by default: suspect frames warn for ever.
	d = mustNew(t, Options{})
	if got := run(d, strings.Repeat("h", 200)); got != "O"+strings.Repeat("W", 199) {
		t.Errorf("no sustained rule: %s", got)
	}
}

func TestScoreWarnThreshold(t *testing.T) {
	d := mustNew(t, Options{})
	var st State
	for range 2 {
		st = d.Frame(Input{Scored: true, Score: 3, Threshold: 4, WarnThreshold: 2})
	}
	if st.Level != Warn || st.Bad != 0 || st.Reasons[0].Code != level.ScoreHigh || st.Reasons[0].Level != Warn {
		t.Errorf("score between the thresholds: %+v", st)
	}
	for range 3 {
		st = d.Frame(Input{Scored: true, Score: 5, Threshold: 4, WarnThreshold: 2})
	}
	if st.Level != Error {
		t.Errorf("score above the ERROR threshold: %+v", st)
	}
	d = mustNew(t, Options{})
	for range 5 {
		st = d.Frame(Input{Scored: true, Score: 3, Threshold: 4})
	}
	if st.Level != OK {
		t.Errorf("no WARN threshold: %+v", st)
	}
}

func TestStateFields(t *testing.T) {
	d := mustNew(t, Options{K: 2, N: 3, M: 2})
	st := d.Frame(Input{Scored: true, Score: 5, Threshold: 2})
	if st.Level != OK || !st.Trusted || !st.Changed || st.Cause != level.CauseNone || st.Reasons[0].Code != level.ScoreHigh ||
		st.Bad != 1 || st.Suspect != 1 || st.Message() != "OK: 1 of last 3 frames suspect, too few to warn" {
		t.Errorf("first bad: %+v %q", st, st.Message())
	}
	st = d.Frame(Input{Scored: true, Score: 6, Threshold: 2, Reasons: []level.Reason{{Code: level.RateLow, Level: level.Warn}}})
	if st.Level != Error || st.Trusted || st.Bad != 2 || !strings.HasPrefix(st.Message(), "ERROR: 2 of last 3 frames bad (score_high") {
		t.Errorf("second bad: %+v", st)
	}
	// A clean frame keeps the bad reasons while recovering.
	st = d.Frame(Input{Scored: true, Score: 1, Threshold: 2})
	if st.Level != Error || st.Score != 1 || st.Reasons[0].Code != level.ScoreHigh || !strings.Contains(st.Message(), "recovering") || st.Changed {
		t.Errorf("recovering: %+v", st)
	}
	// An unscored frame after a clean scored one carries nothing.
	st = d.Frame(Input{})
	if st.Level != OK || !st.Changed || st.Cause != level.CauseNone || len(st.Reasons) != 0 {
		t.Errorf("recovered: %+v", st)
	}
	st = d.MarkStale(1500 * time.Millisecond)
	if st.Level != Stale || st.Trusted || st.Cause != level.CauseStream || st.Message() != "STALE: no data for 1.5 s" {
		t.Errorf("stale: %+v", st)
	}
	b, err := json.Marshal(st.Level)
	if err != nil || string(b) != `"STALE"` {
		t.Errorf("json %s %v", b, err)
	}
	// Stream ERROR outranks the score for the cause.
	d = mustNew(t, Options{})
	for range 3 {
		st = d.Frame(Input{Scored: true, Score: 5, Threshold: 2, Reasons: []level.Reason{{Code: level.StampLate, Level: level.Error}}})
	}
	if st.Level != Error || st.Cause != level.CauseStream {
		t.Errorf("cause %q", st.Cause)
	}
	// Info reasons never raise the level.
	d = mustNew(t, Options{})
	st = d.Frame(Input{Reasons: []level.Reason{{Code: level.Decimated, Value: 2, Level: level.Warn}}})
	if st.Level != OK {
		t.Errorf("info raised the level: %+v", st)
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{{K: 6, N: 5}, {K: -1}, {M: -2}, {K: 1, N: 5000}, {SustainK: 60, SustainN: 50}, {SustainK: 10, SustainN: 2000}, {SustainK: -1}} {
		if _, err := New(o); err == nil {
			t.Errorf("accepted %+v", o)
		}
	}
	d := mustNew(t, Options{K: 7})
	if o := d.Options(); o.N != 7 || o.M != 10 || o.SustainK != 0 || o.SustainN != 50 {
		t.Errorf("filled %+v", o)
	}
}

// TestStartsStale: before its first frame a sensor is not trusted, and the
// first frame is a change, so that it is published.
func TestStartsStale(t *testing.T) {
	d := mustNew(t, Options{})
	if d.Level() != Stale {
		t.Fatalf("new decider at %v, want STALE", d.Level())
	}
	u := Unjudged()
	if u.Level != Stale || u.Trusted || u.Cause != level.CauseStream || u.Message() != "STALE: no frame judged yet" {
		t.Errorf("unjudged: %+v %q", u, u.Message())
	}
	if st := d.Frame(Input{Scored: true, Score: 1, Threshold: 2}); st.Level != OK || !st.Trusted || !st.Changed {
		t.Errorf("first clean frame: %+v", st)
	}
	st := d.Stop()
	if st.Level != Stale || st.Trusted || !st.Changed || st.Message() != "STALE: trustd stopping" {
		t.Errorf("stop: %+v %q", st, st.Message())
	}
	if st := d.Stop(); !st.Changed {
		t.Error("a second stop is not a change: it would be dropped as a duplicate")
	}
}

// TestUnscoredFramesCarryTheScore: under decimation (every n-th frame
// scored), a fault only the score sees enters ERROR once K of the last N
// scored frames are bad, whatever n; a lone bad scored frame does not,
// nor does it warn; the carried evidence ends with the first clean scored
// frame.
func TestUnscoredFramesCarryTheScore(t *testing.T) {
	frame := func(d *Decider, i, n int, bad bool) State {
		if i%n != 0 {
			return d.Frame(Input{})
		}
		s := 1.0
		if bad {
			s = 9
		}
		return d.Frame(Input{Scored: true, Score: s, Threshold: 2})
	}
	for _, n := range []int{1, 2, 3, 5, 10} {
		d := mustNew(t, Options{})
		for i := range 20 * n {
			if st := frame(d, i, n, i == 10*n); st.Level != OK {
				t.Fatalf("every %d-th frame scored, one bad: %v at frame %d (%v)", n, st.Level, i, st.Reasons)
			}
		}
		d = mustNew(t, Options{})
		entered := -1
		for i := range 10 * n {
			st := frame(d, i, n, true)
			if st.Level == Error && entered < 0 {
				entered = i
			}
			if st.Level != Error && entered >= 0 {
				t.Fatalf("every %d-th frame scored: left ERROR at frame %d", n, i)
			}
		}
		// The third scored frame is frame 2n. With n ≤ 2 the rule holds
		// on it; from n = 3 its evidence is carried to the next frames,
		// and the rule holds one frame after it when the second scored
		// frame (n) is still in the window of five (n = 3), else two.
		want := map[int]int{1: 2, 2: 4, 3: 7, 5: 12, 10: 22}[n]
		if entered != want {
			t.Errorf("every %d-th frame scored, all bad: ERROR at frame %d, want %d", n, entered, want)
		}
		left := -1
		for i := range 20 * n {
			if st := frame(d, i, n, false); st.Level != Error && left < 0 {
				left = i
			}
		}
		if left != 9 {
			t.Errorf("every %d-th frame scored, clean again: left ERROR on clean frame %d, want the 10th (M)", n, left+1)
		}
	}
	// The rise alarm's evidence is carried the same way.
	d := mustNew(t, Options{})
	rise := []level.Reason{{Code: level.ScoreRise, Feature: "log_rise", Value: 2, Level: Error}}
	var st State
	for i := range 12 {
		in := Input{}
		if i%4 == 0 {
			in = Input{Scored: true, Score: 1, Threshold: 2, Reasons: rise}
		}
		st = d.Frame(in)
	}
	if st.Level != Error || st.Reasons[0].Code != level.ScoreRise {
		t.Errorf("rise on every 4th frame: %v %v", st.Level, st.Reasons)
	}
	// Scored frames bad by one alarm or the other (high, rise, clean, high,
	// rise, ...) are carried for neither: four of five scored frames are
	// bad, but no alarm found more than two of them bad.
	d = mustNew(t, Options{})
	for i := range 60 {
		in := Input{}
		switch i % 12 {
		case 0:
			in = Input{Scored: true, Score: 9, Threshold: 2}
		case 4:
			in = Input{Scored: true, Score: 1, Threshold: 2, Reasons: rise}
		case 8:
			in = Input{Scored: true, Score: 1, Threshold: 2}
		}
		if st = d.Frame(in); st.Level == Error {
			t.Fatalf("score and rise on alternate scored frames: ERROR at frame %d (%v)", i, st.Reasons)
		}
	}
}
