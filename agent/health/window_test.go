package health

import (
	"math"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

func TestWindowFeatures(t *testing.T) {
	t0 := time.Unix(100, 0)
	const period = 100 * time.Millisecond
	w := NewWindow(period, time.Second)
	var f []float64
	add := func(seq uint64, recv time.Time, lat time.Duration) {
		w.Add(sensors.Header{Seq: seq, Stamp: recv.Add(-lat), Received: recv})
	}
	// Just started: 3 frames in 0.3 s is the nominal rate.
	for i := 1; i <= 3; i++ {
		add(uint64(i), t0.Add(time.Duration(i)*period), 20*time.Millisecond)
	}
	f = w.Features(f, t0.Add(3*period))
	if math.Abs(f[0]-1) > 1e-9 || math.Abs(f[1]-1) > 1e-9 || f[2] > 1e-9 {
		t.Errorf("start-up features %v", f)
	}
	// Steady state with one lost frame (seq 6 missing) and a swap.
	seq := []uint64{4, 5, 7, 9, 8, 10, 11, 12, 13, 14}
	for i, s := range seq {
		add(s, t0.Add(time.Duration(4+i)*period), time.Duration(10+i)*time.Millisecond)
	}
	now := t0.Add(13 * period)
	f = w.Features(f, now)
	names := WindowNames()
	got := map[string]float64{}
	for i, n := range names {
		got[n] = f[i]
	}
	if got["rate_ratio"] != 1.1 && got["rate_ratio"] != 1.0 { // 10 or 11 arrivals in (now−1 s, now]
		t.Errorf("rate_ratio %v", got["rate_ratio"])
	}
	if got["out_of_order"] != 1 || got["drop_frac"] <= 0 {
		t.Errorf("order/drops %v", got)
	}
	if math.Abs(got["latency_p50_s"]-0.0145) > 0.002 || got["latency_p95_s"] < got["latency_p50_s"] {
		t.Errorf("latency %v", got)
	}
	st := w.Stats(now)
	if st.Frames == 0 || st.Drops == 0 || st.OutOfOrder != 1 {
		t.Errorf("stats %+v", st)
	}
	// A 0.6 s silence shows in gap_max.
	f = w.Features(f, now.Add(600*time.Millisecond))
	if math.Abs(f[3]-6) > 1e-9 {
		t.Errorf("gap_max %v, want 6 periods", f[3])
	}
	w.Reset()
	if st := w.Stats(now); st.Frames != 0 || st.Span != time.Second {
		t.Errorf("after reset %+v", st)
	}
}
