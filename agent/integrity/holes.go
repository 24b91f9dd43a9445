package integrity

import (
	"math"
	"slices"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// Surface hole limits.
const (
	// HoleMinRange and HoleMaxRange bound the returns the hole check
	// looks at, in metres: nearer, a beam's offset from the axis and the
	// robot itself matter; farther, echoes are weak and miss honestly.
	HoleMinRange = 2.0
	HoleMaxRange = 100.0
	// HoleWarnFrac and HoleErrorFrac are the hole fractions at which a
	// frame is suspect and bad. Uniform dropout of a fraction p of the
	// returns adds about p/(1+p) (a kept return, a lost one, a kept one,
	// against two kept in a row): 0.09 at 10 %. The clean scans the
	// project holds give at most 0.011: the real VLP-16 capture
	// (testdata/recording.bin of the einride module, median 0.009) and
	// the real MRPT rawlog (0.008) miss a firing now and then on dark
	// and glancing surfaces; the simulated VLP-16 in worlds 1–7, 9, 11
	// and 13, 32- and 128-ring simulated scans and the real octomap scan
	// seen by a virtual VLP-16 stay below 0.004 (holes_test.go measures
	// them). WARN sits near three times the largest clean frame, ERROR
	// at half of what 10 % dropout gives.
	HoleWarnFrac  = 0.03
	HoleErrorFrac = 0.05
	// MinSurfacePairs is the fewest surface pairs plus holes a frame
	// needs for a verdict: an empty scene (open sky, a blinded sensor)
	// says nothing.
	MinSurfacePairs = 500
	// minFirings is the fewest firings per revolution a ring's step must
	// imply: a ring whose returns are not in azimuth order gives a
	// step estimate near π/2 and is skipped.
	minFirings = 100
	// stepSample is how many steps per ring estimate its azimuth step.
	stepSample = 31
	// gridTol is how far, in steps, a pair or a hole may lie from one or
	// two steps.
	gridTol = 0.25
	// maxOffGrid is the largest fraction of agreeing steps off the firing
	// grid (neither about one nor two steps, below 2.5) that still gives
	// a verdict. Clean scans, real and simulated, have none: azimuths come
	// from the encoder. Returns moved in space and given the azimuth of
	// their new place (coordinate noise) leave the grid, and their gaps
	// are not missed firings; the cone check judges them.
	maxOffGrid = 0.05
)

// SurfaceHoles counts single missing firings inside continuous surfaces.
//
// A spinning LiDAR fires every laser at every azimuth step; where a laser
// sweeps across a continuous surface it returns on every firing. Per ring,
// in the scan's order (the firing order), two consecutive returns whose
// ranges are both in [HoleMinRange, HoleMaxRange) and agree within
// max(5 % of the nearer, 0.1 m) are a surface pair when one azimuth step
// apart and a hole when two steps apart (each within a quarter step): one
// firing between them gave no return, whether the driver kept that cell
// with Range 0 or dropped it. The step is the lower quartile of up to
// stepSample of the ring's agreeing steps, spread over the scan. Steps
// are taken modulo 2π, so a ring that crosses azimuth 0 mid-scan keeps
// its pair there; the pair that would close the ring (last return to
// first) is not counted.
//
// The zero value is ready; it keeps buffers between frames and is not safe
// for concurrent use.
type SurfaceHoles struct {
	rings []holeRing
	tmp   []float32
}

// holeRing is one ring's state during a pass.
type holeRing struct {
	az, rng float32   // the ring's previous in-band return; rng is NaN before its first
	steps   []float32 // azimuth steps of agreeing consecutive returns
}

// HoleResult is a frame's verdict.
type HoleResult struct {
	Pairs   int     // surface pairs: agreeing returns one step apart
	Holes   int     // agreeing returns two steps apart
	OffGrid int     // agreeing returns closer than 2.5 steps, neither one nor two steps apart
	Frac    float64 // Holes / (Holes + Pairs); NaN below MinSurfacePairs, above 5 % OffGrid or without rings
}

// Check counts s's surface pairs and holes. A scan without ring numbers
// (Rings 0) gets NaN.
func (h *SurfaceHoles) Check(s *sensors.Scan) HoleResult {
	res := HoleResult{Frac: math.NaN()}
	rings := min(s.Rings, maxRings)
	if rings <= 0 || len(s.Points) == 0 {
		return res
	}
	h.grow(rings)
	rs := h.rings[:rings]
	for r := range rs {
		rs[r] = holeRing{rng: float32(math.NaN()), steps: rs[r].steps[:0]}
	}
	// One pass: each return with an in-band range, against its ring's
	// previous one, keeps the azimuth step when their ranges agree. The
	// band and azimuth tests are integer compares of the bit patterns
	// (see minRangeBits); a ring's first return is against a NaN range,
	// which agrees with none.
	const twoPi = 2 * math.Pi
	pts := s.Points
	for i := range pts {
		p := &pts[i]
		r := int(p.Ring)
		if r >= len(rs) {
			continue
		}
		rng, az := p.Range, p.Azimuth
		if rb := math.Float32bits(rng); rb-minRangeBits >= maxRangeBits-minRangeBits {
			continue
		}
		if ab := math.Float32bits(az); ab >= twoPiBits && ab != negZeroBits {
			continue
		}
		l := &rs[r]
		if agree(l.rng, rng) {
			d := az - l.az
			if d < 0 {
				d += twoPi
			}
			if d > 0 {
				l.steps = append(l.steps, d)
			}
		}
		l.az, l.rng = az, rng
	}
	var pairs, holes, offGrid int
	for r := range rs {
		st := rs[r].steps
		step := h.ringStep(st)
		if !(step > 0 && step <= twoPi/minFirings) {
			continue
		}
		inv := 1 / step
		for _, d := range st {
			k := d * inv
			switch {
			case k >= 1-gridTol && k <= 1+gridTol:
				pairs++
			case k >= 2-gridTol && k <= 2+gridTol:
				holes++
			case k < 2.5:
				offGrid++
			}
		}
	}
	res.Pairs, res.Holes, res.OffGrid = pairs, holes, offGrid
	if pairs+holes >= MinSurfacePairs && float64(offGrid) <= maxOffGrid*float64(pairs+holes+offGrid) {
		res.Frac = float64(holes) / float64(pairs+holes)
	}
	return res
}

// The bit patterns of HoleMinRange, HoleMaxRange, 2π and −0 as float32s.
// The point pass tests rng >= HoleMinRange && rng < HoleMaxRange and
// az >= 0 && az < 2π on them, with one unsigned compare each:
// non-negative float32s order as their bits do, and negative ones and
// NaNs have bits above every in-band value (for the range, after the
// subtraction too), −0 (az >= 0 holds for it) the one exception.
// TestHoleBandBits checks these against math.Float32bits.
const (
	minRangeBits = 0x40000000
	maxRangeBits = 0x42c80000
	twoPiBits    = 0x40c90fdb
	negZeroBits  = 0x80000000
)

// agree reports whether two ranges lie on one surface: within
// max(5 % of the nearer, 0.1 m). Both are positive or a is NaN (which
// agrees with nothing): |b−a| is the difference with its sign bit
// cleared, which is a−b exactly when b < a, and the nearer is the smaller
// bit pattern. Neither needs a branch, which on a noisy surface would go
// either way.
func agree(a, b float32) bool {
	d := math.Float32frombits(math.Float32bits(b-a) &^ (1 << 31))
	near := math.Float32frombits(min(math.Float32bits(a), math.Float32bits(b)))
	return d <= 0.05*near || d <= 0.1
}

// ringStep is the lower quartile of up to stepSample steps spread over
// st: one step as long as more than a quarter of them are single steps,
// which holds up to dropout of about 50 % (single steps are (1−p) of them
// then), where a median would drift to two steps from about 30 %.
func (h *SurfaceHoles) ringStep(st []float32) float32 {
	if len(st) < 3 {
		return 0
	}
	stride := max(1, len(st)/stepSample)
	h.tmp = h.tmp[:0]
	for i := 0; i < len(st) && len(h.tmp) < stepSample; i += stride {
		h.tmp = append(h.tmp, st[i])
	}
	slices.Sort(h.tmp)
	return h.tmp[len(h.tmp)/4]
}

// Level is the level the frame asks for: ERROR from HoleErrorFrac, WARN
// from HoleWarnFrac, OK below or without a verdict.
func (r HoleResult) Level() level.Level { return fracLevel(r.Frac, HoleWarnFrac, HoleErrorFrac) }

func (h *SurfaceHoles) grow(rings int) {
	if len(h.rings) < rings {
		h.rings = append(h.rings, make([]holeRing, rings-len(h.rings))...)
	}
	if h.tmp == nil {
		h.tmp = make([]float32, 0, stepSample)
	}
}
