package integrity

import (
	"math"
	"slices"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

// ReferenceHoles is SurfaceHoles.Check written plainly, as its doc comment
// states it: per ring, the azimuth steps of agreeing consecutive in-band
// returns, the ring's step as the lower quartile of up to stepSample of
// them taken at an even stride, then every step classified against it.
// TestSurfaceHolesMatchesReference holds Check to it bit for bit.
func ReferenceHoles(s *sensors.Scan) HoleResult {
	res := HoleResult{Frac: math.NaN()}
	rings := min(s.Rings, maxRings)
	if rings <= 0 || len(s.Points) == 0 {
		return res
	}
	type prev struct {
		az, rng float32
		ok      bool
	}
	last := make([]prev, rings)
	steps := make([][]float32, rings)
	const twoPi = 2 * math.Pi
	for _, p := range s.Points {
		r := int(p.Ring)
		if r >= rings {
			continue
		}
		rng, az := p.Range, p.Azimuth
		if !(rng >= HoleMinRange && rng < HoleMaxRange) || !(az >= 0 && az < twoPi) {
			continue
		}
		if l := last[r]; l.ok && referenceAgree(l.rng, rng) {
			d := az - l.az
			if d < 0 {
				d += twoPi
			}
			if d > 0 {
				steps[r] = append(steps[r], d)
			}
		}
		last[r] = prev{az: az, rng: rng, ok: true}
	}
	for _, st := range steps {
		if len(st) < 3 {
			continue
		}
		stride := max(1, len(st)/stepSample)
		var sample []float32
		for i := 0; i < len(st) && len(sample) < stepSample; i += stride {
			sample = append(sample, st[i])
		}
		slices.Sort(sample)
		step := sample[len(sample)/4]
		if !(step > 0 && step <= twoPi/minFirings) {
			continue
		}
		inv := 1 / step
		for _, d := range st {
			k := d * inv
			switch {
			case k >= 1-gridTol && k <= 1+gridTol:
				res.Pairs++
			case k >= 2-gridTol && k <= 2+gridTol:
				res.Holes++
			case k < 2.5:
				res.OffGrid++
			}
		}
	}
	n := res.Pairs + res.Holes
	if n >= MinSurfacePairs && float64(res.OffGrid) <= maxOffGrid*float64(n+res.OffGrid) {
		res.Frac = float64(res.Holes) / float64(n)
	}
	return res
}

// referenceAgree is agree as its doc comment states it.
func referenceAgree(a, b float32) bool {
	d := b - a
	if d < 0 {
		d = -d
	}
	return d <= max(0.05*min(a, b), 0.1)
}

func TestHoleBandBits(t *testing.T) {
	for _, c := range []struct {
		name       string
		bits, want uint32
	}{
		{"HoleMinRange", minRangeBits, math.Float32bits(HoleMinRange)},
		{"HoleMaxRange", maxRangeBits, math.Float32bits(HoleMaxRange)},
		{"2π", twoPiBits, math.Float32bits(2 * math.Pi)},
		{"−0", negZeroBits, math.Float32bits(float32(math.Copysign(0, -1)))},
	} {
		if c.bits != c.want {
			t.Errorf("%s: bits %#x, want %#x", c.name, c.bits, c.want)
		}
	}
}
