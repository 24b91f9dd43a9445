package training

import (
	"math"
	"slices"
	"testing"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/sensors"
)

func TestTailScales(t *testing.T) {
	o := tinyOptions(sensors.KindCamera)
	res, err := Train(t.Context(), []Recording{drive(t, sensors.KindCamera, 1, 60), drive(t, sensors.KindCamera, 2, 60)}, o)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := modelbundle.Open(t.Context(), res.Bundle, sensors.KindCamera)
	if err != nil {
		t.Fatal(err)
	}
	m := ms.VAE
	runs := make([]Run, 0, 2)
	for _, w := range []uint64{5, 6} {
		r, err := SimRun(sensors.KindCamera, SizeTiny, w, 0, 700)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	ps, err := TailScales(t.Context(), m, runs)
	if err != nil {
		t.Fatal(err)
	}
	// The parts as the robot's scorer sees them, one scorer per run.
	var reg, res2, nll []float64
	for _, r := range runs {
		s := m.NewFixedScorer()
		for f := range r.Frames {
			p, err := s.ScoreParts(f)
			if err != nil {
				t.Fatal(err)
			}
			reg, res2, nll = append(reg, p.Regret), append(res2, p.Resid), append(nll, p.NLLAfter)
		}
	}
	old := m.PartScales()
	for _, c := range []struct {
		name          string
		v             []float64
		centre, scale float64
		trained       float64
	}{
		{"regret", reg, ps.RegretCentre, ps.RegretScale, old.RegretScale},
		{"residual", res2, ps.ResidCentre, ps.ResidScale, old.ResidScale},
		{"NLL", nll, ps.NLLCentre, ps.NLLScale, old.NLLScale},
	} {
		v := slices.Sorted(slices.Values(c.v))
		med, q := v[len(v)/2], v[int(TailQuantile*float64(len(v)-1))]
		if c.centre != med {
			t.Errorf("%s: centre %v, want the median %v", c.name, c.centre, med)
		}
		if c.scale < c.trained {
			t.Errorf("%s: scale %v below the trained %v", c.name, c.scale, c.trained)
		}
		// Where the tail set the scale, the tail quantile sits at the
		// normal's; elsewhere, below it.
		z := (q - c.centre) / c.scale
		if z > tailZ+1e-9 || c.scale > c.trained && math.Abs(z-tailZ) > 1e-9 {
			t.Errorf("%s: the %.1fth percentile at z %v (scale %v, trained %v), want %v", c.name, 100*TailQuantile, z, c.scale, c.trained, tailZ)
		}
	}
	if ps.RegretScale == old.RegretScale && ps.ResidScale == old.ResidScale && ps.NLLScale == old.NLLScale {
		t.Errorf("no part's tail set its scale: %+v", ps)
	}
	short, err := SimRun(sensors.KindCamera, SizeTiny, 5, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TailScales(t.Context(), m, []Run{short}); err == nil {
		t.Error("tail scales from 100 frames accepted")
	}
	if _, err := m.WithPartScales(ps); err != nil {
		t.Errorf("the model refuses its tail scales: %v", err)
	}
}

// TestCalibrateAlarmsRiseFrames: the rise level is set for the hold asked
// for, the bundle records it, and a bundle calibrated again keeps it.
func TestCalibrateAlarmsRiseFrames(t *testing.T) {
	kind := sensors.KindCamera
	res, err := Train(t.Context(), []Recording{drive(t, kind, 1, 60), drive(t, kind, 2, 60)}, tinyOptions(kind))
	if err != nil {
		t.Fatal(err)
	}
	runs := func() []Run {
		r, err := SimRun(kind, SizeTiny, 5, 0, 300)
		if err != nil {
			t.Fatal(err)
		}
		return []Run{r}
	}
	open := func(b []byte) *modelbundle.Models {
		ms, err := modelbundle.Open(t.Context(), b, kind)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	levels := map[int]float64{}
	for _, frames := range []int{0, 2} {
		al, err := CalibrateAlarms(t.Context(), open(res.Bundle), runs(), AlarmOptions{RiseFrames: frames, Version: 2})
		if err != nil {
			t.Fatal(err)
		}
		ms := open(al.Bundle)
		if ms.RiseFrames != frames || ms.ScoreRise != math.Round(al.RiseLevel*4096)/4096 {
			t.Fatalf("hold %d: bundle records hold %d, level %v; calibrated %v", frames, ms.RiseFrames, ms.ScoreRise, al.RiseLevel)
		}
		levels[frames] = al.RiseLevel
		if frames == 0 {
			continue
		}
		again, err := CalibrateAlarms(t.Context(), ms, runs(), AlarmOptions{Version: 3})
		if err != nil {
			t.Fatal(err)
		}
		if got := open(again.Bundle).RiseFrames; got != frames || again.RiseLevel != al.RiseLevel {
			t.Errorf("calibrated again: hold %d, level %v; want %d, %v", got, again.RiseLevel, frames, al.RiseLevel)
		}
	}
	if levels[0] == levels[2] {
		t.Errorf("the same rise level %v for holds of 5 and 2 frames", levels[0])
	}
}
