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
		{"MinRange", coneMinBits, math.Float32bits(MinRange)},
		{"10 km", coneMaxBits, math.Float32bits(1e4)},
		{"−0", negZeroBits, math.Float32bits(float32(math.Copysign(0, -1)))},
	} {
		if c.bits != c.want {
			t.Errorf("%s: bits %#x, want %#x", c.name, c.bits, c.want)
		}
	}
}

// ReferenceGeometry is RingGeometry.Check written plainly: each ring's
// cone from the median of its sampled sin(elevation), then every
// checkEvery-th return in [MinRange, 10 km) on a known ring checked
// against it. TestRingGeometryMatchesReference holds Check to it.
func ReferenceGeometry(s *sensors.Scan) GeometryResult {
	res := GeometryResult{Frac: math.NaN()}
	rings := min(s.Rings, maxRings)
	if rings <= 0 || len(s.Points) == 0 {
		return res
	}
	sample := make([][]float32, rings)
	stride := max(1, len(s.Points)/(rings*ringSample))
	for i := 0; i < len(s.Points); i += stride {
		p := &s.Points[i]
		if r := int(p.Ring); r < rings && usable(p) && len(sample[r]) < ringSample {
			sample[r] = append(sample[r], p.Z/p.Range)
		}
	}
	tol := ConeTolDeg * math.Pi / 180
	type cone struct {
		lo, hi float32
		known  bool
	}
	cones := make([]cone, rings)
	for r, sm := range sample {
		if len(sm) >= 3 {
			slices.Sort(sm)
			el := math.Asin(clampUnit(float64(sm[len(sm)/2])))
			cones[r] = cone{float32(math.Sin(max(el-tol, -math.Pi/2))), float32(math.Sin(min(el+tol, math.Pi/2))), true}
		}
	}
	for i := 0; i < len(s.Points); i += checkEvery {
		p := s.Points[i]
		if int(p.Ring) >= rings {
			continue
		}
		c := cones[p.Ring]
		if !c.known || !(p.Range >= MinRange && p.Range < 1e4) {
			continue
		}
		res.Checked++
		if p.Z < c.lo*p.Range || p.Z > c.hi*p.Range {
			res.Off++
		}
	}
	if res.Checked >= MinChecked && (res.Off == 0 || res.Off >= minOff) {
		res.Frac = float64(res.Off) / float64(res.Checked)
	}
	return res
}
