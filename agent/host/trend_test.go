package host

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestTrend(t *testing.T) {
	var tr Trend
	t0 := time.Unix(1000, 0)
	at := func(sec float64, temp, free float64) Sample {
		s := Sample{Time: t0.Add(time.Duration(sec * float64(time.Second))), CPUTempC: temp, StateFreeFrac: free, RSSBytes: 64 << 20}
		tr.Fill(&s)
		return s
	}
	if s := at(0, 50, 0.5); !math.IsNaN(s.CPUTempRate) || !math.IsNaN(s.StateFreeRate) || !math.IsNaN(s.RSSRate) {
		t.Errorf("one sample: rates %v %v %v, want NaN", s.CPUTempRate, s.StateFreeRate, s.RSSRate)
	}
	// A steady climb of 0.5 °C/s and a disk filling by 0.001 a second,
	// with one unreadable temperature, is fitted exactly.
	var s Sample
	for i := 1; i <= 10; i++ {
		temp := 50 + 0.5*float64(i)
		if i == 7 {
			temp = math.NaN()
		}
		s = at(float64(i), temp, 0.5-0.001*float64(i))
	}
	if math.Abs(s.CPUTempRate-0.5) > 1e-9 || math.Abs(s.StateFreeRate+0.001) > 1e-12 || s.RSSRate != 0 {
		t.Errorf("steady climb: rates %v °C/s, %v /s, %v MiB/s", s.CPUTempRate, s.StateFreeRate, s.RSSRate)
	}
	// Only the last TrendSpan counts: a jump 6 s ago is forgotten.
	at(11, 100, 0.5)
	for i := 12; i <= 17; i++ {
		s = at(float64(i), 40, 0.5)
	}
	if s.CPUTempRate != 0 || s.StateFreeRate != 0 {
		t.Errorf("after %v flat: rates %v, %v", TrendSpan, s.CPUTempRate, s.StateFreeRate)
	}
	// A clock that went back starts over.
	if s := at(3, 40, 0.5); !math.IsNaN(s.CPUTempRate) {
		t.Errorf("clock back: rate %v, want NaN", s.CPUTempRate)
	}
}

// TestTempDev: the temperature's ten-second mean less its ten-minute
// mean is 0 for a steady temperature, follows a step of 3 °C by the two
// exponential means' responses, and starts over when the clock goes back.
func TestTempDev(t *testing.T) {
	var tr Trend
	t0 := time.Unix(1000, 0)
	var s Sample
	for i := range 100 {
		s = Sample{Time: t0.Add(time.Duration(i) * time.Second), CPUTempC: 50}
		tr.Fill(&s)
		if s.CPUTempDev != 0 {
			t.Fatalf("steady: deviation %v at %d s", s.CPUTempDev, i)
		}
	}
	for i := 100; i <= 110; i++ {
		s = Sample{Time: t0.Add(time.Duration(i) * time.Second), CPUTempC: 53}
		tr.Fill(&s)
	}
	// 10 s after the step: 3·(1 − e^−1) − 3·(1 − e^−10/600), in 1 s steps
	// from the step's first sample on, which is 11 updates.
	want := 3*(1-math.Exp(-11.0/10)) - 3*(1-math.Exp(-11.0/600))
	if math.Abs(s.CPUTempDev-want) > 1e-9 {
		t.Errorf("after a step of 3 °C: deviation %v, want %v", s.CPUTempDev, want)
	}
	if f := s.Features(nil)[slices.Index(Names(), "cpu_temp_dev_c")]; f != s.CPUTempDev {
		t.Errorf("feature %v, deviation %v", f, s.CPUTempDev)
	}
	s = Sample{Time: t0, CPUTempC: 40}
	tr.Fill(&s)
	if s.CPUTempDev != 0 {
		t.Errorf("clock back: deviation %v, want 0 (means start over)", s.CPUTempDev)
	}
	s = Sample{Time: t0.Add(time.Second), CPUTempC: math.NaN()}
	if tr.Fill(&s); !math.IsNaN(s.CPUTempDev) {
		t.Errorf("unknown temperature: deviation %v", s.CPUTempDev)
	}
}

// TestMemTrendSpan: the available memory's rate is fitted over
// MemTrendSpan, the other rates over TrendSpan: memory taken at 10 MiB a
// second until 8 s ago still shows in the memory rate while the
// temperature's climb over the same seconds is forgotten, and both are
// flat once their spans have passed.
func TestMemTrendSpan(t *testing.T) {
	var tr Trend
	t0 := time.Unix(1000, 0)
	avail := func(i int) uint64 { return uint64(2048-10*min(i, 30)) << 20 }
	var s Sample
	for i := 0; i <= 30; i++ {
		s = Sample{Time: t0.Add(time.Duration(i) * time.Second), CPUTempC: 50 + float64(min(i, 30)), MemAvailBytes: avail(i)}
		tr.Fill(&s)
	}
	if math.Abs(s.MemAvailRate+10) > 1e-9 || math.Abs(s.CPUTempRate-1) > 1e-9 {
		t.Fatalf("steady fall: memory %v MiB/s, temperature %v °C/s", s.MemAvailRate, s.CPUTempRate)
	}
	for i := 31; i <= 38; i++ {
		s = Sample{Time: t0.Add(time.Duration(i) * time.Second), CPUTempC: 80, MemAvailBytes: avail(i)}
		tr.Fill(&s)
	}
	if s.CPUTempRate != 0 || s.MemAvailRate > -1 {
		t.Errorf("8 s after: temperature %v °C/s (want 0), memory %v MiB/s (want still falling)", s.CPUTempRate, s.MemAvailRate)
	}
	for i := 39; i <= 30+int(MemTrendSpan/time.Second); i++ {
		s = Sample{Time: t0.Add(time.Duration(i) * time.Second), CPUTempC: 80, MemAvailBytes: avail(i)}
		tr.Fill(&s)
	}
	if s.MemAvailRate != 0 {
		t.Errorf("%v after: memory %v MiB/s, want 0", MemTrendSpan, s.MemAvailRate)
	}
	if f := s.Features(nil)[slices.Index(Names(), "mem_avail_mb_per_min")]; f != 60*s.MemAvailRate {
		t.Errorf("feature %v, rate %v MiB/s", f, s.MemAvailRate)
	}
}
