package hostsim

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseKind(t *testing.T) {
	for _, k := range Kinds {
		got, err := ParseKind(k.Name())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", k.Name(), got, err, k)
		}
	}
	if _, err := ParseKind("meltdown"); err == nil || !strings.Contains(err.Error(), "fan_stop") {
		t.Errorf("unknown fault: %v, want an error listing the faults", err)
	}
}

func TestFanStop(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stop := t0.Add(time.Minute)
	healthy, faulty := &Machine{Seed: 1}, &Machine{Seed: 1, Faults: []Fault{{Kind: Throttling, Start: stop, Duration: time.Hour}}}
	var throttledAfter time.Duration
	for now := t0; now.Before(stop.Add(3 * time.Minute)); now = now.Add(time.Second) {
		h, f := healthy.Sample(now), faulty.Sample(now)
		since := now.Sub(stop)
		switch {
		case since < 0:
			if h.CPUTempC != f.CPUTempC {
				t.Fatalf("%v before the fault: %.2f °C, healthy %.2f °C", since, f.CPUTempC, h.CPUTempC)
			}
		case since == 5*time.Second:
			// The temperature heads for 30 °C more with a 30 s time
			// constant: about 1 °C/s at first.
			if f.CPUTempRate < 0.5 || f.CPUTempC-h.CPUTempC < 3 {
				t.Errorf("5 s after the fan stopped: %.2f °C/s, %.1f °C above healthy", f.CPUTempRate, f.CPUTempC-h.CPUTempC)
			}
		}
		if f.Throttled && throttledAfter == 0 {
			throttledAfter = since
		}
	}
	if throttledAfter <= 0 || throttledAfter > 2*time.Minute {
		t.Errorf("throttled %v after the fan stopped, want within 2 minutes", throttledAfter)
	}
}

// TestClockJumpAndMemoryPressure checks the two faults move what they
// should and nothing else: the clock jump steps the wall clock away from
// the monotonic one (1 to 30 s, at the start and every minute), memory
// pressure takes available memory at 10 MB/s while the agent's own memory
// stays put.
func TestClockJumpAndMemoryPressure(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := t0.Add(time.Minute)
	healthy := &Machine{Seed: 1}
	jump := &Machine{Seed: 1, Faults: []Fault{{Kind: ClockJump, Start: start, Duration: 3 * time.Minute}}}
	press := &Machine{Seed: 1, Faults: []Fault{{Kind: MemoryPressure, Start: start, Duration: 5 * time.Minute}}}
	steps := 0
	for now := t0; now.Before(start.Add(6 * time.Minute)); now = now.Add(time.Second) {
		h, j, p := healthy.Sample(now), jump.Sample(now), press.Sample(now)
		since := now.Sub(start)
		if since < 0 && math.Abs(h.ClockStep) > 0.005 {
			t.Fatalf("%v: healthy clock step %v s", since, h.ClockStep)
		}
		if math.Abs(j.ClockStep) >= 1 && math.Abs(j.ClockStep) <= 30.01 && since >= 0 && since%time.Minute == 0 && since < 3*time.Minute {
			steps++
		}
		if since == 30*time.Second {
			if p.MemAvailRate > -8 || p.RSSBytes != h.RSSBytes || p.MemUsedFrac-h.MemUsedFrac < 0.06 {
				t.Errorf("30 s of memory pressure: available %.1f MiB/s, rss %d (healthy %d), used %.3f (healthy %.3f)",
					p.MemAvailRate, p.RSSBytes, h.RSSBytes, p.MemUsedFrac, h.MemUsedFrac)
			}
		}
		if since == 5*time.Minute-time.Second && p.MemUsedFrac < 0.97 {
			t.Errorf("near the end of 5 minutes of pressure: %.3f of memory used, want the 98 %% it stops at", p.MemUsedFrac)
		}
	}
	if steps != 3 {
		t.Errorf("%d clock steps seen at the minutes of the fault, want 3", steps)
	}
}
