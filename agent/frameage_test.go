package agent

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// frameAge returns the trustagent_last_frame_age_seconds sample of sensor,
// and whether there is one.
func frameAge(t *testing.T, reg *prometheus.Registry, sensor string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "trustagent_last_frame_age_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "sensor" && l.GetValue() == sensor {
					return m.GetGauge().GetValue(), true
				}
			}
		}
	}
	return 0, false
}

func TestLastFrameAgeMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	clk := &fakeClock{}
	clk.set(t0)
	a := newTestAgent(t, clk, nil, scoreByStamp(func(time.Time) float64 { return 0.1 }), reg)
	if _, ok := frameAge(t, reg, "cam0"); ok {
		t.Fatal("frame age before the first frame")
	}
	a.pipes[0].arrive(cameraFrame(1, t0))
	clk.set(t0.Add(2500 * time.Millisecond))
	if age, ok := frameAge(t, reg, "cam0"); !ok || age != 2.5 {
		t.Fatalf("frame age %v (%v), want 2.5", age, ok)
	}
	// A reload builds a new agent on the same registry: the age is the new
	// agent's.
	b := newTestAgent(t, clk, nil, scoreByStamp(func(time.Time) float64 { return 0.1 }), reg)
	if _, ok := frameAge(t, reg, "cam0"); ok {
		t.Fatal("after a reload the age is the old agent's")
	}
	b.pipes[0].arrive(cameraFrame(2, t0.Add(2*time.Second)))
	if age, ok := frameAge(t, reg, "cam0"); !ok || age != 0.5 {
		t.Fatalf("frame age after reload %v (%v), want 0.5", age, ok)
	}
}
