package integrity

import (
	"math"

	"github.com/sensortrust/trustagent/agent/level"
)

// Veil limits, on the block means (BlockMeans).
const (
	// VeilOnset: a frame is veiled when light added at once lifts black
	// by at least this share of the new frame's mean.
	VeilOnset = 0.25
	// VeilFit is the least share of the block means' variance that a
	// straight line from the previous frame's means must explain for the
	// frame to be compared with it at all: a cut, a jolt or the scene's
	// own motion explain less.
	VeilFit = 0.8
	// VeilLifted: a veil is held while the image's darkest parts (the
	// 5th percentile of its blocks) stay above this share of the light it
	// added at its onset.
	VeilLifted = 0.5
	// veilMaxGain: a veil does not raise the image's contrast; a fit
	// steeper than this is the light or the scene changing.
	veilMaxGain = 1.25
	// veilDark is the rank of the block that stands for the image's
	// darkest parts: its 5th percentile.
	veilDark = BlockCells / 20
)

// Veil finds light laid over the whole image at once: glare on the lens
// or its cover, a washed-out or low-contrast picture from a failing
// exposure or a crushed signal. Such light lifts dark parts of the view
// as much as bright ones, so from one frame to the next the block means m
// follow m′ = a·m + b with an offset b, the light at black, that is a large
// share of the new mean; a change of exposure or light scales the image
// (b near 0), and the scene moving behind the camera spreads the blocks
// about any line.
//
// A frame is veiled when the means of the frame before explain VeilFit of
// the means' variance through a line with a ≤ 1.25 and b at least
// VeilOnset of the frame's mean. The line is fitted symmetrically (slope
// the ratio of the means' spreads), so that a moving textured scene,
// whose blocks regress towards their mean, does not read as a veil.
//
// From the onset the veil is held while nothing dark is left in the view:
// the darkest blocks stay above VeilLifted of the onset's b, whatever
// the scene does behind the veil, across cuts too. It is released when
// the veil lifts at once (a frame whose line is an onset run backwards)
// or when a dark part of the scene shows through.
//
// Light that builds up over many frames (fog rolling in, dust settling)
// has no onset and is not seen here, nor is light that varies across the
// image as much as the scene does (fog's patches) or drives much of the
// image to white (its blocks then follow no line).
//
// The zero value is ready; it keeps state between frames and is not safe
// for concurrent use.
type Veil struct {
	held bool
	lift float64 // the onset's light at black, in block mean units, while held
}

// VeilResult is a frame's verdict.
type VeilResult struct {
	Veiled bool    // light laid over the image since the last clean frame
	Offset float64 // the onset's light at black as a share of the frame's mean, when Veiled
}

// Level is the level the frame asks for: ERROR when the image is veiled.
func (r VeilResult) Level() level.Level {
	if r.Veiled {
		return level.Error
	}
	return level.OK
}

// Check judges a frame by its block means b and the previous frame's. A
// frame without the previous frame's (the first, or one of a new size)
// starts the check afresh; a frame the judge has no means of is not
// checked and changes nothing.
func (v *Veil) Check(b *BlockMeans) VeilResult {
	m, prev := &b.M, &b.Prev
	if !b.HavePrev {
		v.held = false
		return VeilResult{}
	}
	l := fitLine(prev, m)
	if v.held {
		dark := *m
		lifted := float64(kth(dark[:], veilDark)) >= VeilLifted*v.lift
		if lifted && !l.unveils() && l.mm > 0 {
			return VeilResult{Veiled: true, Offset: v.lift / l.mm}
		}
		v.held = false
	}
	if !l.veils() {
		return VeilResult{}
	}
	v.held, v.lift = true, l.b
	return VeilResult{Veiled: true, Offset: l.b / l.mm}
}

// line is m = a·p + b fitted to two frames' block means p and m.
type line struct {
	a, b   float64
	mp, mm float64 // the frames' mean block means
	fits   bool    // the line explains VeilFit of the means' variance
}

// veils reports whether the line lays a veil over p: a ≤ veilMaxGain and b
// at least VeilOnset of m's mean.
func (l line) veils() bool {
	return l.fits && l.a <= veilMaxGain && l.b >= VeilOnset*l.mm
}

// unveils reports whether the line run backwards (p from m) veils: the
// veil lifted at once.
func (l line) unveils() bool {
	return l.fits && l.a >= 1/veilMaxGain && -l.b/l.a >= VeilOnset*l.mp
}

// fitLine fits m = a·p + b over the blocks symmetrically: a is the ratio
// of the means' standard deviations (signed by their covariance), and the
// line passes through both means. A frame of one shade fits no line.
func fitLine(p, m *[BlockCells]float32) line {
	var sp, sm float64
	for i := range p {
		sp += float64(p[i])
		sm += float64(m[i])
	}
	l := line{mp: sp / BlockCells, mm: sm / BlockCells}
	var vp, vm, c float64
	for i := range p {
		dp, dm := float64(p[i])-l.mp, float64(m[i])-l.mm
		vp += dp * dp
		vm += dm * dm
		c += dp * dm
	}
	// Block means that spread less than a quarter of a grey level about
	// their mean are a frame of one shade.
	const flat = BlockCells * 0.25 * 0.25
	if vp < flat || vm < flat {
		return l
	}
	l.a = math.Sqrt(vm / vp)
	if c < 0 {
		l.a = -l.a
	}
	l.b = l.mm - l.a*l.mp
	l.fits = c > 0 && c*c >= VeilFit*vp*vm
	return l
}
