package integrity

import "github.com/sensortrust/trustagent/agent/level"

// Lens dirt limits, on the block means (BlockMeans).
const (
	// DirtMinBlocks is the smallest blob that counts, about 2 % of the
	// image: a smaller one is a small object whose shade changed.
	DirtMinBlocks = 4
	// DirtDrop: a block darkened at once when its mean falls below this
	// share of its previous frame's, relative to the whole image's
	// change (the median block's).
	DirtDrop = 0.5
	// DirtStill is the share of the other blocks that must keep their
	// mean within a factor dirtStillBand of the whole image's change: the
	// rest of the view went on as it was.
	DirtStill = 0.8
	// DirtHold: a blob stays dirty while half its blocks or more stay
	// below this share of their mean before it appeared (followed by the
	// whole image's change since).
	DirtHold = 0.6

	dirtStillBand = 1.25
	// dirtAsDark: a block next to the blob is as dark as the blob when its
	// mean is under this factor of the blob's median.
	dirtAsDark = 1.25
	// dirtRingDark is the largest share of the blocks around a new blob
	// that may be as dark as it: dirt is darker than all round it, a dark
	// region of the scene that grew into view is not.
	dirtRingDark = 0.25
	// dirtHoldRing: a held blob is released when half the blocks around it
	// are as dark as it.
	dirtHoldRing = 0.5
	// dirtExplained is the largest share of a new blob's blocks whose
	// mean some block at or next to theirs had in the frame before: scene
	// content that moved over, not a shade cast on the lens.
	dirtExplained = 0.5
	// dirtFloor is added to every block mean, per byte of a pixel, so
	// that ratios of near-black blocks (sensor noise) stay tame.
	dirtFloor = 4
)

// LensDirt finds a dark blob that appears on the lens and stays there: a
// leaf, a splash of mud, a drop of dirty water.
//
// Whatever lands on the lens dims the same pixels in every frame while the
// scene behind it moves, and when it lands it dims them at once. The check
// looks for that onset: a compact blob of at least DirtMinBlocks blocks
// whose means fell within one frame below DirtDrop of their previous
// value (relative to the median block's change, so exposure and lighting
// changes cancel), while DirtStill of the other blocks kept theirs. Three
// tests tell it from the scene: the blob is darker than the blocks around
// it (a dark region of the scene that grew into view continues beyond
// it), its new means were not already next to it in the frame before
// (content that moved over), and the rest of the image did not change
// (a cut, a jolt). From then on the blob's means before it appeared are
// kept, followed by the whole image's change, and the blob stays dirty
// while half its blocks stay under DirtHold of them and the blocks around
// it stay brighter; when the blob clears (a leaf blown off, a dark object
// of the scene moving on), the check lets go.
//
// Dirt that builds up slowly over minutes has no onset and is not seen
// here; neither is dirt that only blurs (the frame score sees blur). A
// dark object that stops in front of a camera that does not move looks
// like dirt for as long as it stays.
//
// The zero value is ready; it keeps buffers between frames and is not safe
// for concurrent use.
type LensDirt struct {
	held  bool
	blob  [BlockCells]bool
	blobN int
	ref   [BlockCells]float32 // the blob's means before it appeared, followed by the image's change
}

// DirtResult is a frame's verdict.
type DirtResult struct {
	Dirty bool    // a blob on the lens dims part of the image
	Area  float64 // the blob's share of the image, when Dirty
}

// Level is the level the frame asks for: ERROR when a blob is on the lens.
func (r DirtResult) Level() level.Level {
	if r.Dirty {
		return level.Error
	}
	return level.OK
}

// Check judges a frame by its block means b and the previous frame's. A
// frame without the previous frame's (the first, or one of a new size)
// starts the check afresh; a frame the judge has no means of is not
// checked, so a blob on the lens stays dirty across it.
func (d *LensDirt) Check(b *BlockMeans) DirtResult {
	m, prev := &b.M, &b.Prev
	if !b.HavePrev {
		d.held = false
		return DirtResult{}
	}
	floor := float32(dirtFloor * b.bpp)
	var r [BlockCells]float32
	for i := range m {
		r[i] = (m[i] + floor) / (prev[i] + floor)
	}
	if d.held {
		// The image's change comes from the blocks outside the blob.
		var sc [BlockCells]float32
		n := 0
		for i := range r {
			if !d.blob[i] {
				sc[n] = r[i]
				n++
			}
		}
		gain := float32(1)
		if n > 0 {
			gain = median(sc[:n])
		}
		dark := 0
		for i := range d.ref {
			if d.blob[i] {
				d.ref[i] *= gain
				if m[i]+floor < DirtHold*(d.ref[i]+floor) {
					dark++
				}
			}
		}
		if 2*dark >= d.blobN && ringDark(m, &d.blob, floor) < dirtHoldRing {
			return DirtResult{Dirty: true, Area: float64(d.blobN) / BlockCells}
		}
		d.held = false
	}

	sc := r
	gain := median(sc[:])
	var dark [BlockCells]bool
	for i := range r {
		dark[i] = r[i] < DirtDrop*gain
	}
	var blob [BlockCells]bool
	n := largestBlob(&dark, &blob)
	if n < DirtMinBlocks {
		return DirtResult{}
	}
	still, other := 0, 0
	for i := range r {
		if !dark[i] {
			other++
			if q := r[i] / gain; q > 1/dirtStillBand && q < dirtStillBand {
				still++
			}
		}
	}
	if float32(still) < DirtStill*float32(other) || ringDark(m, &blob, floor) > dirtRingDark || explained(m, prev, &blob, floor) > dirtExplained {
		return DirtResult{}
	}
	d.held, d.blob, d.blobN, d.ref = true, blob, n, *prev
	return DirtResult{Dirty: true, Area: float64(n) / BlockCells}
}

// median returns the median of xs (the upper one of an even count),
// reordering xs. xs holds no NaN (block means and their ratios are
// finite).
func median(xs []float32) float32 { return kth(xs, len(xs)/2) }

// kth returns the k-th smallest of xs (from 0), reordering xs: Hoare's
// selection, median-of-three pivots, expected linear time. xs holds no NaN.
func kth(xs []float32, k int) float32 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		p := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < p {
				i++
			}
			for p < xs[j] {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// largestBlob marks in blob the largest 4-connected set of dark blocks
// and returns its size.
func largestBlob(dark, blob *[BlockCells]bool) int {
	var seen [BlockCells]bool
	var stack, comp [BlockCells]uint8
	best := 0
	for i := range dark {
		if !dark[i] || seen[i] {
			continue
		}
		stack[0], seen[i] = uint8(i), true
		top, n := 1, 0
		for top > 0 {
			top--
			c := int(stack[top])
			comp[n] = uint8(c)
			n++
			for _, j := range neighbours(c) {
				if j >= 0 && dark[j] && !seen[j] {
					seen[j] = true
					stack[top] = uint8(j)
					top++
				}
			}
		}
		if n > best {
			best = n
			*blob = [BlockCells]bool{}
			for _, c := range comp[:n] {
				blob[c] = true
			}
		}
	}
	return best
}

// neighbours returns the blocks left, right, above and below block c, -1
// past the grid's edge.
func neighbours(c int) [4]int {
	x, y := c%BlockCols, c/BlockCols
	nb := [4]int{-1, -1, -1, -1}
	if x > 0 {
		nb[0] = c - 1
	}
	if x < BlockCols-1 {
		nb[1] = c + 1
	}
	if y > 0 {
		nb[2] = c - BlockCols
	}
	if y < BlockRows-1 {
		nb[3] = c + BlockCols
	}
	return nb
}

// ringDark returns the share of the blocks around blob (next to it, not in
// it) that are as dark as the blob's median block; 1 when nothing is
// around it.
func ringDark(m *[BlockCells]float32, blob *[BlockCells]bool, floor float32) float64 {
	var in [BlockCells]float32
	n := 0
	var ring [BlockCells]bool
	for i := range m {
		if !blob[i] {
			continue
		}
		in[n] = m[i]
		n++
		for _, j := range neighbours(i) {
			if j >= 0 && !blob[j] {
				ring[j] = true
			}
		}
	}
	limit := dirtAsDark*(median(in[:n])+floor) - floor
	around, dark := 0, 0
	for j, r := range ring {
		if r {
			around++
			if m[j] < limit {
				dark++
			}
		}
	}
	if around == 0 {
		return 1
	}
	return float64(dark) / float64(around)
}

// explained returns the share of blob's blocks whose mean now lies within a
// factor dirtStillBand of the mean that the block itself or one of its
// eight neighbours had in the frame before.
func explained(m, prev *[BlockCells]float32, blob *[BlockCells]bool, floor float32) float64 {
	n, k := 0, 0
	for i := range m {
		if !blob[i] {
			continue
		}
		n++
		x, y := i%BlockCols, i/BlockCols
		v := m[i] + floor
	search:
		for yy := max(0, y-1); yy <= min(BlockRows-1, y+1); yy++ {
			for xx := max(0, x-1); xx <= min(BlockCols-1, x+1); xx++ {
				p := prev[yy*BlockCols+xx] + floor
				if v > p/dirtStillBand && v < p*dirtStillBand {
					k++
					break search
				}
			}
		}
	}
	return float64(k) / float64(n)
}
