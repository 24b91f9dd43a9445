package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/sensortrust/trustagent/sensors"
)

// ErrBadImage is returned (wrapped) for images whose geometry does not match
// their pixel buffer.
var ErrBadImage = errors.New("features: malformed image")

// sampleBudget is the approximate number of sampling centres per image.
const sampleBudget = 12000

var cameraNames = []string{
	"bright_p01",        // [0, 1]
	"bright_p10",        // [0, 1]
	"bright_p50",        // [0, 1]
	"bright_p90",        // [0, 1]
	"bright_p99",        // [0, 1]
	"bright_mean",       // [0, 1]
	"bright_std",        // [0, 1]
	"clip_low_frac",     // samples ≤ 3/255
	"clip_high_frac",    // samples ≥ 252/255
	"lap1_logvar",       // log variance of the 5-point Laplacian at spacing 1 px (brightness in [0, 1])
	"lap2_logvar",       // spacing 2 px
	"lap4_logvar",       // spacing 4 px
	"noise_mad",         // 1.4826·median|Laplacian₁|/√20: σ of white noise, robust to edges
	"blockiness",        // log(mean |step| across 8-px column boundaries / mean |step| elsewhere)
	"hot_frac",          // samples brighter than all 4 neighbours by > 50/255
	"cold_frac",         // darker than all 4 neighbours by > 50/255
	"grad_lo_frac",      // |dx|+|dy| < 4/255
	"grad_mid_frac",     // 4/255 … 32/255
	"grad_hi_frac",      // > 32/255
	"band_ratio_12",     // lap1_logvar − lap2_logvar: high vs mid spatial frequency energy
	"band_ratio_24",     // lap2_logvar − lap4_logvar: mid vs low
	"prev_diff_log",     // log10(mean |Δbrightness| against the previous frame + 1/4096)
	"prev_moved_log",    // log10 of the fraction of samples not bit-identical to the previous frame, floored at 1/(n+1)
	"prev_changed_frac", // samples changed by > 25/255
}

// CameraNames returns the names of the statistics Camera computes, in order.
func CameraNames() []string { return append([]string(nil), cameraNames...) }

// CameraSceneStats names the statistics that describe what the camera
// looks at more than the camera: how bright the scene is and how its
// brightness spreads, how much of it is textured, and how much changed
// since the previous frame as the robot moves. A healthy camera in a new
// place moves them as far as a fault does. The other statistics measure
// the camera (clipping, sharpness across scales, noise, compression
// blocks, hot and cold pixels, bit-identical repeats) whatever it sees.
func CameraSceneStats() []string {
	return []string{"bright_p01", "bright_p10", "bright_p50", "bright_p90", "bright_p99", "bright_mean", "bright_std",
		"grad_lo_frac", "grad_mid_frac", "grad_hi_frac", "prev_diff_log", "prev_changed_frac"}
}

// CameraExtractor computes camera statistics frame after frame, remembering
// the previous frame's samples. The zero value is ready; not safe for
// concurrent use.
type CameraExtractor struct {
	cur, prev     []uint8
	rows          LumaRows
	prevW, prevH  int
	prevOK        bool
	hist, lapHist []int32
}

// Camera computes the statistics of cur (prev may be nil) into dst, resized
// to len(CameraNames()). It allocates; use a CameraExtractor in a loop.
func Camera(dst []float64, cur, prev *sensors.Image) ([]float64, error) {
	var e CameraExtractor
	if prev != nil {
		if _, err := e.Next(nil, prev); err != nil {
			return dst, err
		}
	}
	return e.Next(dst, cur)
}

// Reset forgets the previous frame.
func (e *CameraExtractor) Reset() { e.prevOK = false }

// CheckImage reports whether im's geometry fits its pixel buffer.
func CheckImage(im *sensors.Image) error {
	if im == nil {
		return fmt.Errorf("%w: nil image", ErrBadImage)
	}
	bpp := im.Format.BytesPerPixel()
	if im.Format != sensors.Gray8 && im.Format != sensors.RGB24 {
		return fmt.Errorf("%w: unknown pixel format %d", ErrBadImage, im.Format)
	}
	if im.Width <= 0 || im.Height <= 0 || im.Width > 1<<15 || im.Height > 1<<15 {
		return fmt.Errorf("%w: size %d×%d", ErrBadImage, im.Width, im.Height)
	}
	if im.Stride < im.Width*bpp {
		return fmt.Errorf("%w: stride %d < %d", ErrBadImage, im.Stride, im.Width*bpp)
	}
	if need := (im.Height-1)*im.Stride + im.Width*bpp; len(im.Pix) < need {
		return fmt.Errorf("%w: %d pixel bytes, need %d", ErrBadImage, len(im.Pix), need)
	}
	return nil
}

// Luma returns the 8-bit luma of pixel (x, y), which must be inside im.
func Luma(im *sensors.Image, x, y int) int32 {
	if im.Format == sensors.RGB24 {
		i := y*im.Stride + 3*x
		r, g, b := int32(im.Pix[i]), int32(im.Pix[i+1]), int32(im.Pix[i+2])
		return (299*r + 587*g + 114*b + 500) / 1000
	}
	return int32(im.Pix[y*im.Stride+x])
}

// LumaRows reads an image's luma row by row: a Gray8 image's own pixel
// rows, an RGB24 image's rows converted to BT.601 luma (as Luma) on demand
// into a ring of lumaRing rows, so that no full-frame copy is ever made.
// The zero value is ready; Reset it with each image.
type LumaRows struct {
	im   *sensors.Image
	ring []byte          // lumaRing rows of im.Width
	held [lumaRing]int32 // the image row in each slot, −1 for none
}

// lumaRing is the number of converted rows kept: a power of two above the
// 9 consecutive rows the widest Laplacian reads.
const lumaRing = 16

// Reset makes r read im, which must have passed CheckImage.
func (r *LumaRows) Reset(im *sensors.Image) {
	r.im = im
	if im.Format == sensors.Gray8 {
		return
	}
	if n := lumaRing * im.Width; cap(r.ring) < n {
		r.ring = make([]byte, n)
	}
	for i := range r.held {
		r.held[i] = -1
	}
}

// Row returns the luma of row y (0 ≤ y < Height), Width bytes, valid until
// a row a multiple of lumaRing away is read.
func (r *LumaRows) Row(y int) []byte {
	im := r.im
	w := im.Width
	if im.Format == sensors.Gray8 {
		return im.Pix[y*im.Stride : y*im.Stride+w]
	}
	k := y & (lumaRing - 1)
	out := r.ring[k*w : (k+1)*w]
	if r.held[k] != int32(y) {
		px := im.Pix[y*im.Stride : y*im.Stride+3*w]
		for x := range out {
			p := px[3*x : 3*x+3 : 3*x+3]
			out[x] = uint8((299*int32(p[0]) + 587*int32(p[1]) + 114*int32(p[2]) + 500) / 1000)
		}
		r.held[k] = int32(y)
	}
	return out
}

// SampleStep is the spacing of the sampling grid for a w × h image.
func SampleStep(w, h int) int {
	s := int(math.Sqrt(float64(w) * float64(h) / sampleBudget))
	if s < 1 {
		s = 1
	}
	return s
}

// Next computes the statistics of cur into dst and remembers cur.
//
// Every sum is accumulated in integers: the samples, their squares and the
// Laplacians are integers, and a float64 sum of integers is exact while it
// stays below 2^53 (here below 2^37: some 5·10⁴ samples at most, squares
// of at most 1020²), so the statistics are those of the float sums, bit for
// bit.
func (e *CameraExtractor) Next(dst []float64, cur *sensors.Image) ([]float64, error) {
	dst = resize(dst, len(cameraNames))
	if err := CheckImage(cur); err != nil {
		e.prevOK = false
		return dst, err
	}
	if e.hist == nil {
		e.hist = make([]int32, 256)
		e.lapHist = make([]int32, 1021)
	}
	clear(e.hist)
	clear(e.lapHist)
	w, h := cur.Width, cur.Height
	st := SampleStep(w, h)
	e.rows.Reset(cur)
	cols, rows := (w+st-1)/st, (h+st-1)/st
	n := cols * rows
	if cap(e.cur) < n {
		e.cur = make([]uint8, n)
	}
	e.cur = e.cur[:n]
	var a sampleSums
	var bl blockSums
	hist := (*[256]int32)(e.hist)
	lapHist := (*[1021]int32)(e.lapHist)
	var nb [7][]byte
	for yi := range rows {
		y := yi * st
		out := e.cur[yi*cols : (yi+1)*cols]
		row := e.rows.Row(y)
		bl.add(row)
		if y < cameraMargin || y >= h-cameraMargin {
			a.plain(out, row, st, hist)
			continue
		}
		nb = [7][]byte{row, e.rows.Row(y - 1), e.rows.Row(y + 1), e.rows.Row(y - 2), e.rows.Row(y + 2), e.rows.Row(y - 4), e.rows.Row(y + 4)}
		// Samples closer than the margin to the left or right edge enter
		// the brightness statistics only.
		xa := min((cameraMargin+st-1)/st, cols) // first interior sample
		xb := max(xa, min((w-cameraMargin+st-1)/st, cols))
		a.plain(out[:xa], row, st, hist)
		a.inner(out[xa:xb], &nb, xa*st, st, hist, lapHist)
		a.plain(out[xb:], row[min(xb*st, w):], st, hist)
	}
	const sc = 1.0 / 255
	fn := float64(n)
	dst[0] = histQuantile(e.hist, n, 0.01) * sc
	dst[1] = histQuantile(e.hist, n, 0.10) * sc
	dst[2] = histQuantile(e.hist, n, 0.50) * sc
	dst[3] = histQuantile(e.hist, n, 0.90) * sc
	dst[4] = histQuantile(e.hist, n, 0.99) * sc
	mean := float64(a.sum) / fn
	dst[5] = mean * sc
	dst[6] = math.Sqrt(math.Max(float64(a.sum2)/fn-mean*mean, 0)) * sc
	lo, hi := 0, 0
	for v := 0; v <= 3; v++ {
		lo += int(e.hist[v])
	}
	for v := 252; v < 256; v++ {
		hi += int(e.hist[v])
	}
	dst[7] = float64(lo) / fn
	dst[8] = float64(hi) / fn
	nan := math.NaN()
	if nl := a.nl; nl > 0 {
		fl := float64(nl)
		for k := range a.lap {
			mu := float64(a.lap[k]) / fl
			dst[9+k] = math.Log(math.Max(float64(a.lap2[k])/fl-mu*mu, 0)*sc*sc + 1e-8)
		}
		dst[12] = 1.4826 * histQuantile(e.lapHist, nl, 0.5) * sc / math.Sqrt(20)
		dst[14] = float64(a.hot) / fl
		dst[15] = float64(a.cold) / fl
		dst[16] = float64(a.grad[0]) / fl
		dst[17] = float64(a.grad[1]) / fl
		dst[18] = float64(a.grad[2]) / fl
		dst[19] = dst[9] - dst[10]
		dst[20] = dst[10] - dst[11]
	} else {
		for k := 9; k <= 20; k++ {
			if k != 13 {
				dst[k] = nan
			}
		}
	}
	dst[13] = bl.value(w)
	// Change against the previous frame.
	if e.prevOK && e.prevW == w && e.prevH == h && len(e.prev) == len(e.cur) {
		var sd, moved, changed int64
		prev := e.prev[:len(e.cur)]
		for i, v := range e.cur {
			// Counted by sign bits, not branches (see inner).
			ad := abs(int32(v) - int32(prev[i]))
			moved += int64(uint32(-ad) >> 31) // ad > 0
			changed += int64(uint32(25-ad) >> 31)
			sd += int64(ad)
		}
		same := int64(len(e.cur)) - moved
		// Logarithms, because cameras differ by orders of magnitude in what
		// moves: a fixed camera behind a video codec repeats about 75 % of
		// its samples bit for bit between clean frames (vtest.avi), a moving
		// or noisy one about 9 % (the simulator). On a linear scale a frozen
		// frame (100 %) lay inside that spread; as the logarithm of what
		// moved it lies three to four decades below any clean frame.
		dst[21] = math.Log10(float64(sd)/fn*sc + 1.0/4096)
		dst[22] = math.Log10((fn - float64(same) + 1) / (fn + 1))
		dst[23] = float64(changed) / fn
	} else {
		dst[21], dst[22], dst[23] = nan, nan, nan
	}
	e.cur, e.prev = e.prev, e.cur
	e.prevW, e.prevH, e.prevOK = w, h, true
	return dst, nil
}

// cameraMargin is the margin of the widest Laplacian: samples closer to
// the border have no neighbourhood statistics.
const cameraMargin = 4

// sampleSums are the integer sums of Next's sampling pass.
type sampleSums struct {
	sum, sum2 int64    // brightness and its square, all samples
	nl        int      // interior samples
	lap, lap2 [3]int64 // Laplacian at spacing 1, 2, 4 px and its square
	hot, cold int
	grad      [3]int // gradient below 4, 4…32, above 32
}

// plain samples row[0], row[st], … into out (one per sample): the
// brightness statistics only.
func (a *sampleSums) plain(out, row []byte, st int, hist *[256]int32) {
	var s, s2 int64
	for i := range out {
		v := row[i*st]
		out[i] = v
		hist[v]++
		s += int64(v)
		s2 += int64(v) * int64(v)
	}
	a.sum += s
	a.sum2 += s2
}

// inner samples nb[0] at x0, x0+st, … (len(out) samples, all at least
// cameraMargin from every border; nb holds the rows y, y−1, y+1, y−2, y+2,
// y−4 and y+4 of the sample row y): the brightness and the neighbourhood
// statistics.
func (a *sampleSums) inner(out []byte, nb *[7][]byte, x0, st int, hist *[256]int32, lapHist *[1021]int32) {
	// The sums live in memory, not in registers: the loop needs its
	// registers for the thirteen pixels a sample reads, and amd64 has too
	// few for both (an add to memory is one instruction, a spill two).
	var t [innerSums]int64
	n := len(out)
	if n == 0 {
		return
	}
	// Each sample reads 9 pixels of its own row (a window from 4 left to 4
	// right) and 6 of the rows above and below; slicing every row once to
	// the span of the samples lets the compiler check bounds once per row.
	span := (n-1)*st + 1
	row := nb[0][x0-cameraMargin : x0+span+cameraMargin]
	u1, d1 := nb[1][x0:x0+span], nb[2][x0:x0+span]
	u2, d2 := nb[3][x0:x0+span], nb[4][x0:x0+span]
	u4, d4 := nb[5][x0:x0+span], nb[6][x0:x0+span]
	out = out[:n]
	for j, i := 0, 0; j < len(u1) && i < len(out); j, i = j+st, i+1 {
		win := row[j : j+2*cameraMargin+1 : j+2*cameraMargin+1]
		out[i] = win[4]
		hist[win[4]]++
		v := int32(win[4])
		t[sumV] += int64(v)
		t[sumV2] += int64(v * v)
		l, r, u, d := int32(win[3]), int32(win[5]), int32(u1[j]), int32(d1[j])
		l1 := 4*v - l - r - u - d
		t[sumL1] += int64(l1)
		t[sumL1sq] += int64(l1 * l1)
		lapHist[abs(l1)]++
		// The tests below are coin flips on a noisy image: counted by
		// the sign bit of a difference (all small), not by branches the
		// processor would mispredict half the time.
		t[sumHot] += int64(uint32(50-(v-max(l, r, u, d))) >> 31)
		t[sumCold] += int64(uint32(50-(min(l, r, u, d)-v)) >> 31)
		gr := abs(r-l)>>1 + abs(d-u)>>1 // |·| ≤ 255: the shift is /2
		t[sumGrad4] += int64(uint32(3-gr) >> 31)
		t[sumGrad33] += int64(uint32(32-gr) >> 31)
		if j >= len(u2) || j >= len(d2) || j >= len(u4) || j >= len(d4) {
			break // never (all rows have span pixels): drops four bounds checks
		}
		l2 := 4*v - int32(win[2]) - int32(win[6]) - int32(u2[j]) - int32(d2[j])
		t[sumL2] += int64(l2)
		t[sumL2sq] += int64(l2 * l2)
		l4 := 4*v - int32(win[0]) - int32(win[8]) - int32(u4[j]) - int32(d4[j])
		t[sumL4] += int64(l4)
		t[sumL4sq] += int64(l4 * l4)
	}
	a.sum += t[sumV]
	a.sum2 += t[sumV2]
	a.nl += len(out)
	a.lap[0] += t[sumL1]
	a.lap2[0] += t[sumL1sq]
	a.lap[1] += t[sumL2]
	a.lap2[1] += t[sumL2sq]
	a.lap[2] += t[sumL4]
	a.lap2[2] += t[sumL4sq]
	a.hot += int(t[sumHot])
	a.cold += int(t[sumCold])
	c4, c33 := int(t[sumGrad4]), int(t[sumGrad33])
	a.grad[0] += len(out) - c4
	a.grad[1] += c4 - c33
	a.grad[2] += c33
}

// The sums of inner's loop.
const (
	sumV = iota
	sumV2
	sumL1
	sumL1sq
	sumL2
	sumL2sq
	sumL4
	sumL4sq
	sumHot
	sumCold
	sumGrad4  // gradient ≥ 4
	sumGrad33 // gradient > 32
	innerSums
)

// blockSums compare luma steps across 8-pixel column boundaries with steps
// elsewhere, on every sampled row (JPEG/MPEG 8×8 block artefacts). The
// steps are summed in integers over all columns and at the boundaries; the
// steps elsewhere are the difference.
type blockSums struct {
	at, all int64
	rows    int
}

// add adds the steps of one row.
func (b *blockSums) add(row []byte) {
	if len(row) < 17 {
		return
	}
	b.all += absSteps(row)
	for x := 8; x < len(row); x += 8 {
		b.at += int64(abs(int32(row[x]) - int32(row[x-1])))
	}
	b.rows++
}

// value is the blockiness statistic of rows of width w.
func (b *blockSums) value(w int) float64 {
	if w < 17 {
		return math.NaN()
	}
	na := b.rows * ((w - 1) / 8)
	no := b.rows*(w-1) - na
	off := b.all - b.at
	return math.Log((float64(b.at)/float64(na) + 0.5) / (float64(off)/float64(no) + 0.5))
}

// absSteps returns Σ |row[x] − row[x−1]| over x ≥ 1 (len(row) ≥ 1).
//
// Eight steps at a time in the 16-bit lanes of two words (SWAR): the
// even and the odd bytes of row[x:x+8] and row[x−1:x+7] are spread into
// four lanes each, where a − b + 256 lies in [1, 511] and cannot borrow
// from the next lane; its bit 8 says whether a ≥ b, and the low byte is
// a − b modulo 256, from which |a − b| follows without a branch. A lane
// of the sum grows by at most 2·255 per step, so 128 steps fit in its 16
// bits before the lanes are added into the total.
//
// On 32-bit machines, where a 64-bit word is two registers and an 8-byte
// load eight, the steps are summed one by one.
func absSteps(row []byte) int64 {
	const lo8 = 0x00ff00ff00ff00ff
	var s int64
	x := 1
	for bits.UintSize == 64 && x+8 <= len(row) {
		var lanes uint64
		for k := 0; k < 128 && x+8 <= len(row); k, x = k+1, x+8 {
			a := binary.LittleEndian.Uint64(row[x:])
			b := binary.LittleEndian.Uint64(row[x-1:])
			lanes += absDiffLanes(a&lo8, b&lo8) + absDiffLanes(a>>8&lo8, b>>8&lo8)
		}
		pairs := lanes&0x0000ffff0000ffff + lanes>>16&0x0000ffff0000ffff
		s += int64(pairs&0xffffffff + pairs>>32)
	}
	prev := int32(row[x-1])
	for _, v := range row[x:] {
		s += int64(abs(int32(v) - prev))
		prev = int32(v)
	}
	return s
}

// absDiffLanes returns |a − b| in each 16-bit lane of a and b, whose
// lanes hold one byte each.
func absDiffLanes(a, b uint64) uint64 {
	const (
		lo8  = 0x00ff00ff00ff00ff
		one  = 0x0001000100010001
		b256 = 0x0100010001000100
	)
	w := (a | b256) - b        // a − b + 256 per lane, in [1, 511]
	lt := (w >> 8 & one) ^ one // 1 where a < b
	return (w&lo8 ^ lt*0xff) + lt
}

// abs is |x| without a branch: the sign of a Laplacian or of a step
// between pixels is a coin flip the processor would mispredict.
func abs(x int32) int32 {
	m := x >> 31
	return (x ^ m) - m
}
