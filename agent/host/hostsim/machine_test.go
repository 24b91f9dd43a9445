package hostsim

import (
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
