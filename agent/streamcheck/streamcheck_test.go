package streamcheck

import (
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const period = 100 * time.Millisecond

// feed delivers frames at the given period from start for dur, with a fixed
// delay, updating at every whole second; it returns the last update.
func feed(c *Checker, seq *uint64, start time.Time, dur, every, delay time.Duration) (Result, time.Time) {
	var r Result
	nextUpdate := start.Add(time.Second)
	for at := start; at.Before(start.Add(dur)); at = at.Add(every) {
		for !at.Before(nextUpdate) {
			r = c.Update(nextUpdate)
			nextUpdate = nextUpdate.Add(time.Second)
		}
		*seq++
		c.Observe(sensors.Header{Seq: *seq, Stamp: at.Add(-delay), Received: at})
	}
	return r, nextUpdate
}

func codes(rs []level.Reason) map[level.Code]bool {
	m := map[level.Code]bool{}
	for _, r := range rs {
		m[r.Code] = true
	}
	return m
}

func newChecker(t *testing.T) *Checker {
	t.Helper()
	c, err := New(period, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Start(t0)
	return c
}

func TestFrequencyStatus(t *testing.T) {
	cases := []struct {
		name  string
		every time.Duration
		want  level.Level
		code  level.Code
	}{
		{"nominal", period, level.OK, ""},
		{"within tolerance 9.3 Hz", 107 * time.Millisecond, level.OK, ""},
		{"slow 8.5 Hz", 118 * time.Millisecond, level.Warn, level.RateLow},
		{"fast 12 Hz", 83 * time.Millisecond, level.Warn, level.RateHigh},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newChecker(t)
			var seq uint64
			r, _ := feed(c, &seq, t0, 10*time.Second, tc.every, 10*time.Millisecond)
			if r.Level != tc.want {
				t.Fatalf("level %v, want %v (freq %.2f, reasons %v)", r.Level, tc.want, r.Freq, r.Reasons)
			}
			if tc.code != "" && !codes(r.Reasons)[tc.code] {
				t.Errorf("reasons %v lack %s", r.Reasons, tc.code)
			}
		})
	}
}

func TestNoEventsIsErrorAndStale(t *testing.T) {
	c := newChecker(t)
	var seq uint64
	_, next := feed(c, &seq, t0, 3*time.Second, period, 0)
	last := c.LastReceived()
	if c.Stale(last.Add(c.Options().StaleAfter)) {
		t.Error("stale exactly at the timeout")
	}
	if !c.Stale(last.Add(c.Options().StaleAfter + time.Millisecond)) {
		t.Error("not stale after the timeout")
	}
	var r Result
	for i := 0; i < 7; i++ { // the first update still sees the last second of data
		r = c.Update(next)
		next = next.Add(time.Second)
		if i == 1 && (!codes(r.Reasons)[level.NoDataUpdate] || r.Level != level.Warn) {
			t.Errorf("first empty update: %v %v, want WARN NO_DATA_UPDATE", r.Level, r.Reasons)
		}
	}
	if r.Level != level.Error || !codes(r.Reasons)[level.NoEvents] {
		t.Errorf("after a silent window: %v %v, want ERROR NO_EVENTS", r.Level, r.Reasons)
	}
	// Data again: the stale flag clears with the first frame.
	seq++
	c.Observe(sensors.Header{Seq: seq, Stamp: next, Received: next})
	if c.Stale(next) {
		t.Error("still stale after a frame")
	}
}

func TestTimeStampStatus(t *testing.T) {
	cases := []struct {
		name  string
		delay time.Duration
		want  level.Level
		code  level.Code
	}{
		{"normal", 20 * time.Millisecond, level.OK, ""},
		{"slow but allowed", 4 * time.Second, level.OK, ""},
		{"late", 6 * time.Second, level.Error, level.StampLate},
		{"future", -2 * time.Second, level.Error, level.StampEarly},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newChecker(t)
			var seq uint64
			r, _ := feed(c, &seq, t0, 3*time.Second, period, tc.delay)
			if r.Level != tc.want || (tc.code != "" && !codes(r.Reasons)[tc.code]) {
				t.Errorf("got %v %v, want %v %s", r.Level, r.Reasons, tc.want, tc.code)
			}
		})
	}
	c := newChecker(t)
	f := c.Observe(sensors.Header{Seq: 1, Received: t0})
	if f.Level() != level.Error || f.Reasons[0].Code != level.StampZero {
		t.Errorf("zero stamp: %v", f.Reasons)
	}
	if r := c.Update(t0.Add(time.Second)); !codes(r.Reasons)[level.StampZero] {
		t.Errorf("zero stamp not in update: %v", r.Reasons)
	}
}

func TestOrderJumpGap(t *testing.T) {
	c := newChecker(t)
	at := t0
	obs := func(seq uint64, stamp time.Time) Frame {
		at = at.Add(period)
		return c.Observe(sensors.Header{Seq: seq, Stamp: stamp, Received: at})
	}
	if f := obs(1, t0.Add(period)); len(f.Reasons) != 0 {
		t.Fatalf("first frame: %v", f.Reasons)
	}
	if f := obs(2, t0.Add(2*period)); len(f.Reasons) != 0 {
		t.Fatalf("second frame: %v", f.Reasons)
	}
	// Swapped neighbour: stamp goes backwards by one period.
	if f := obs(3, t0.Add(period+period/2)); !codes(f.Reasons)[level.OutOfOrder] || codes(f.Reasons)[level.ClockJump] {
		t.Errorf("swap: %v", f.Reasons)
	}
	// +2 s clock step: a jump (and a stamp in the future).
	f := obs(4, t0.Add(4*period+2*time.Second))
	if m := codes(f.Reasons); !m[level.ClockJump] || !m[level.StampEarly] {
		t.Errorf("step +2 s: %v", f.Reasons)
	}
	// −1.5 s step: backwards and a jump, delay still allowed.
	f = obs(5, t0.Add(5*period-1500*time.Millisecond+2*time.Second))
	if m := codes(f.Reasons); !m[level.ClockJump] || !m[level.OutOfOrder] || m[level.StampLate] {
		t.Errorf("step −1.5 s: %v", f.Reasons)
	}
	// A sequence gap is a warning.
	f = obs(9, t0.Add(6*period+500*time.Millisecond))
	if f.Level() != level.Warn || !codes(f.Reasons)[level.SeqGap] || f.Reasons[0].Value != 3 {
		t.Errorf("gap: %v", f.Reasons)
	}
	r := c.Update(at)
	if m := codes(r.Reasons); !m[level.OutOfOrder] || !m[level.ClockJump] || !m[level.SeqGap] || r.Level != level.Error {
		t.Errorf("update: %v %v", r.Level, r.Reasons)
	}
}

func TestOptionsValidation(t *testing.T) {
	bad := []Options{
		{Tolerance: 1.5},
		{WindowSize: -1},
		{MinDelay: time.Second, MaxDelay: time.Millisecond},
		{MinFreq: 10, MaxFreq: 5},
	}
	for _, o := range bad {
		if _, err := New(period, o); err == nil {
			t.Errorf("accepted %+v", o)
		}
	}
	if _, err := New(0, Options{}); err == nil {
		t.Error("no period and no frequency accepted")
	}
	if _, err := New(0, Options{MinFreq: 5, MaxFreq: 15}); err != nil {
		t.Error(err)
	}
	d := DefaultOptions(period)
	if d.StaleAfter != 500*time.Millisecond || d.Tolerance != 0.1 || d.WindowSize != 5 || d.MaxDelay != 5*time.Second {
		t.Errorf("defaults %+v", d)
	}
}
