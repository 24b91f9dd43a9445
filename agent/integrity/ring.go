package integrity

import (
	"math"
	"slices"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// Ring geometry limits.
const (
	// ConeTolDeg is how far, in degrees, a return may lie from its ring's
	// cone. Laser elevations are calibrated to about 0.1°; a beam's
	// offset from the sensor's axis (a few centimetres) moves a return
	// beyond MinRange by less than 1°.
	ConeTolDeg = 1.0
	// MinRange is the nearest return the check looks at, in metres:
	// closer, a beam's offset from the axis matters.
	MinRange = 2.0
	// WarnFrac and ErrorFrac are the fractions of checked returns off
	// their cone at which a frame is suspect and bad. A healthy sensor
	// puts none off (every clean scan, real or simulated, that the
	// project holds has none); the margins are a return in 2,000 and
	// one in 500, about 14 and 55 returns of a VLP-16 revolution.
	WarnFrac  = 0.0005
	ErrorFrac = 0.002
	// MinChecked is the fewest returns a frame needs for a verdict.
	MinChecked = 200
	// maxRings is the most rings the check handles (larger ring numbers
	// are skipped).
	maxRings = 256
	// ringSample is how many returns per ring estimate its elevation.
	ringSample = 33
)

// RingGeometry checks that a LiDAR's returns lie on their ring's cone. The
// zero value is ready; it keeps buffers between frames and is not safe for
// concurrent use.
type RingGeometry struct {
	sample [][]float32 // per ring: sin(elevation) of sampled returns
	lo, hi []float32   // per ring: sin of the cone's elevation ∓ tolerance
	ok     []bool      // per ring: the elevation is known
}

// GeometryResult is a frame's verdict.
type GeometryResult struct {
	Checked int     // returns checked (beyond MinRange, on a known ring)
	Off     int     // of them, off their ring's cone
	Frac    float64 // Off / Checked; NaN when Checked < MinChecked or the scan has no rings
}

// Check computes s's fraction of returns off their cone. A scan without
// ring numbers (Rings 0) gets NaN.
func (g *RingGeometry) Check(s *sensors.Scan) GeometryResult {
	res := GeometryResult{Frac: math.NaN()}
	rings := min(s.Rings, maxRings)
	if rings <= 0 || len(s.Points) == 0 {
		return res
	}
	g.grow(rings)
	// Sample each ring's elevation evenly over the scan: every stride-th
	// usable return, as sin(elevation) = z / range.
	stride := max(1, len(s.Points)/(rings*ringSample))
	for i := 0; i < len(s.Points); i += stride {
		p := &s.Points[i]
		if r := int(p.Ring); r < rings && usable(p) && len(g.sample[r]) < ringSample {
			g.sample[r] = append(g.sample[r], p.Z/p.Range)
		}
	}
	tol := ConeTolDeg * math.Pi / 180
	for r := range rings {
		sm := g.sample[r]
		g.ok[r] = len(sm) >= 3
		if g.ok[r] {
			slices.Sort(sm)
			el := math.Asin(clampUnit(float64(sm[len(sm)/2])))
			g.lo[r] = float32(math.Sin(max(el-tol, -math.Pi/2)))
			g.hi[r] = float32(math.Sin(min(el+tol, math.Pi/2)))
		}
		g.sample[r] = sm[:0]
	}
	for i := range s.Points {
		p := &s.Points[i]
		r := int(p.Ring)
		if r >= rings || !g.ok[r] || !usable(p) {
			continue
		}
		res.Checked++
		// sin(elevation) = z/range outside [lo, hi], without a division.
		if z := p.Z; z < g.lo[r]*p.Range || z > g.hi[r]*p.Range {
			res.Off++
		}
	}
	if res.Checked >= MinChecked {
		res.Frac = float64(res.Off) / float64(res.Checked)
	}
	return res
}

// Level is the level the frame asks for: ERROR from ErrorFrac, WARN from
// WarnFrac, OK below or without a verdict.
func (r GeometryResult) Level() level.Level {
	switch {
	case r.Frac >= ErrorFrac:
		return level.Error
	case r.Frac >= WarnFrac:
		return level.Warn
	}
	return level.OK
}

func (g *RingGeometry) grow(rings int) {
	for len(g.sample) < rings {
		g.sample = append(g.sample, make([]float32, 0, ringSample))
	}
	if len(g.lo) < rings {
		g.lo, g.hi, g.ok = make([]float32, rings), make([]float32, rings), make([]bool, rings)
	}
}

// usable reports whether p is a return the check looks at: finite, beyond
// MinRange and below 10 km, with a finite height.
func usable(p *sensors.Point) bool {
	return p.Range >= MinRange && p.Range < 1e4 && p.Z > -1e4 && p.Z < 1e4
}

func clampUnit(v float64) float64 { return max(-1, min(1, v)) }
