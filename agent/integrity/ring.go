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
	// checkEvery: every checkEvery-th point of a scan is checked. A
	// VLP-16 revolution still gives thousands of checked returns.
	checkEvery = 2
	// minOff is the fewest returns off their cone that make a verdict
	// other than none off: one stray return is no evidence.
	minOff = 3
)

// RingGeometry checks that a LiDAR's returns lie on their ring's cone. The
// zero value is ready; it keeps buffers between frames and is not safe for
// concurrent use.
type RingGeometry struct {
	sample [][]float32     // per ring: sin(elevation) of sampled returns
	cones  *[maxRings]cone // per ring number
}

// cone is a ring's cone: sin of its elevation ∓ the tolerance, and whether
// the frame gave its elevation (1) or not (0: its returns are not checked).
type cone struct {
	lo, hi float32
	known  uint32
}

// GeometryResult is a frame's verdict.
type GeometryResult struct {
	Checked int     // returns checked (every checkEvery-th point: beyond MinRange, on a known ring)
	Off     int     // of them, off their ring's cone
	Frac    float64 // Off / Checked; NaN when Checked < MinChecked, when 0 < Off < minOff or the scan has no rings
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
	cones := g.cones
	for r := range rings {
		sm := g.sample[r]
		cones[r] = cone{}
		if len(sm) >= 3 {
			slices.Sort(sm)
			el := math.Asin(clampUnit(float64(sm[len(sm)/2])))
			cones[r] = cone{
				lo:    float32(math.Sin(max(el-tol, -math.Pi/2))),
				hi:    float32(math.Sin(min(el+tol, math.Pi/2))),
				known: 1,
			}
		}
		g.sample[r] = sm[:0]
	}
	// One step per checkEvery-th point: a return is checked when its
	// range is in [MinRange, 10 km) and its ring's cone is known, and off
	// when sin(elevation) = z/range lies outside [lo, hi], tested without
	// a division. A NaN height is never off. Whether a point is checked
	// depends on the scene (which firings return), so it is counted
	// without a branch, its range tested by one unsigned compare of the
	// bit patterns (negative ranges and NaNs have bits above every
	// in-range value); a return off its cone is rare on a healthy sensor,
	// so that test is a branch, which is then always predicted (the ring
	// test is taken only by a malformed scan).
	var checked, off uint32
	pts, cs := s.Points, cones[:rings]
	for i := 0; i < len(pts); i += checkEvery {
		p := &pts[i]
		if int(p.Ring) >= len(cs) {
			continue
		}
		c := &cs[p.Ring]
		rr, z := p.Range, p.Z
		in := b2u(math.Float32bits(rr)-coneMinBits < coneMaxBits-coneMinBits) & c.known
		checked += in
		if z < c.lo*rr || z > c.hi*rr {
			off += in
		}
	}
	res.Checked, res.Off = int(checked), int(off)
	if res.Checked >= MinChecked && (res.Off == 0 || res.Off >= minOff) {
		res.Frac = float64(res.Off) / float64(res.Checked)
	}
	return res
}

// The bit patterns of MinRange and 10 km as float32s (TestHoleBandBits
// checks them).
const (
	coneMinBits = 0x40000000
	coneMaxBits = 0x461c4000
)

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// Level is the level the frame asks for: ERROR from ErrorFrac, WARN from
// WarnFrac, OK below or without a verdict.
func (r GeometryResult) Level() level.Level { return fracLevel(r.Frac, WarnFrac, ErrorFrac) }

// fracLevel is ERROR from errorFrac, WARN from warnFrac, OK below (and for
// NaN, no verdict).
func fracLevel(frac, warnFrac, errorFrac float64) level.Level {
	switch {
	case frac >= errorFrac:
		return level.Error
	case frac >= warnFrac:
		return level.Warn
	}
	return level.OK
}

func (g *RingGeometry) grow(rings int) {
	for len(g.sample) < rings {
		g.sample = append(g.sample, make([]float32, 0, ringSample))
	}
	if g.cones == nil {
		g.cones = new([maxRings]cone)
	}
}

// usable reports whether p is a return the check looks at: finite, beyond
// MinRange and below 10 km, with a finite height.
func usable(p *sensors.Point) bool {
	return p.Range >= MinRange && p.Range < 1e4 && p.Z > -1e4 && p.Z < 1e4
}

func clampUnit(v float64) float64 { return max(-1, min(1, v)) }
