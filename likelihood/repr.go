package likelihood

import (
	"fmt"
	"math"
	"sort"

	"github.com/sensortrust/trustagent/likelihood/features"
	"github.com/sensortrust/trustagent/sensors"
)

// Channels says which channels a representation carries besides the image.
type Channels uint8

// Channel sets.
const (
	// ChannelsWithStats appends the frame statistics of package features to
	// the image (the default: they carry what downsampling throws away).
	ChannelsWithStats Channels = iota
	// ChannelsImageOnly uses the range image or thumbnail alone.
	ChannelsImageOnly
)

// Input quantisation: standardised inputs are clipped to ±inputClip and
// stored as int16 with scale 1/inputScale (Q11). Model format 2 stored them
// as int8 with scale 1/16 (same clip); that step of 0.0625 standard
// deviations was the largest difference between the fixed and the float
// approximated LR (a few stuck-scan frames, repeated in their fault stream,
// changed rank against clean frames). Q11 leaves room for the decoder
// residual x − b3 (±2·inputMax) in int16.
const (
	inputScale = 1 << inputFrac
	inputClip  = 127.0 / 16
	inputMax   = inputClip * inputScale // 16256, untyped
	// missingRange marks a range-image cell without a return, below every
	// valid normalised range (which lies in (0, 1]).
	missingRange = -0.25
	minStd       = 0.02
)

// Repr is a model's input representation: how a frame becomes the vector the
// VAE sees. It is saved with the model.
type Repr struct {
	Kind sensors.Kind
	// LiDAR: rows at Elevations (radians, ascending) × AzBins azimuth bins,
	// channels range (log(1+r)/log(1+MaxRange), missingRange when empty) and
	// intensity (0 when empty); the nearest return of a cell wins.
	Elevations []float32
	AzBins     int
	MaxRange   float32
	// Camera: ThumbW × ThumbH cells, channels mean luma in [0, 1] and
	// log(1/255 + mean |5-point Laplacian|) at full resolution (local
	// high-frequency energy: noise raises it, blur lowers it).
	ThumbW, ThumbH int
	// Channels says whether frame statistics are appended.
	Channels Channels
	// StatWeight multiplies the log-likelihood terms of statistic inputs.
	StatWeight float64
	// Standardisation, per input: x = (raw − Center)/Scale, clipped to
	// ±127/16. NaN raws (statistics without a previous frame) become 0.
	Center, Scale []float64
}

// ImageDims is the number of image inputs (before statistics).
func (r *Repr) ImageDims() int {
	if r.Kind == sensors.KindLidar {
		return 2 * len(r.Elevations) * r.AzBins
	}
	return 2 * r.ThumbW * r.ThumbH
}

// StatDims is the number of statistic inputs.
func (r *Repr) StatDims() int {
	if r.Channels != ChannelsWithStats {
		return 0
	}
	if r.Kind == sensors.KindLidar {
		return len(features.LidarNames())
	}
	return len(features.CameraNames())
}

// Dims is the input dimension.
func (r *Repr) Dims() int { return r.ImageDims() + r.StatDims() }

func (r *Repr) validate() error {
	switch r.Kind {
	case sensors.KindLidar:
		if len(r.Elevations) < 1 || len(r.Elevations) > 128 || r.AzBins < 4 || r.AzBins > 4096 ||
			!(r.MaxRange > 0) || !sort.SliceIsSorted(r.Elevations, func(i, j int) bool { return r.Elevations[i] < r.Elevations[j] }) {
			return fmt.Errorf("likelihood: bad LiDAR representation (%d rows, %d bins)", len(r.Elevations), r.AzBins)
		}
	case sensors.KindCamera:
		if r.ThumbW < 2 || r.ThumbH < 2 || r.ThumbW > maxThumb || r.ThumbH > maxThumb {
			return fmt.Errorf("likelihood: bad camera representation %d×%d", r.ThumbW, r.ThumbH)
		}
	default:
		return fmt.Errorf("likelihood: %w: representation kind %v", ErrWrongKind, r.Kind)
	}
	if r.Channels > ChannelsImageOnly || math.IsNaN(r.StatWeight) || r.StatWeight < 0 || r.StatWeight > 1e6 {
		return fmt.Errorf("likelihood: bad channel setting")
	}
	d := r.Dims()
	if len(r.Center) != d || len(r.Scale) != d {
		return fmt.Errorf("likelihood: standardisation has %d/%d entries, want %d", len(r.Center), len(r.Scale), d)
	}
	for i := range r.Scale {
		if !(r.Scale[i] > 0) || math.IsInf(r.Scale[i], 0) || math.IsNaN(r.Center[i]) || math.IsInf(r.Center[i], 0) {
			return fmt.Errorf("likelihood: bad standardisation at input %d", i)
		}
	}
	return nil
}

// encoder turns frames into raw representation vectors; it keeps the
// feature extractors' previous-frame state and scratch, so a steady stream
// allocates nothing.
type encoder struct {
	r *Repr
	// LiDAR scratch: the nearest return of each cell, the first cell of
	// the row of each ring of the current scan (−1 for a ring without a
	// row), tangents of the row edges.
	cells    []rangeCell
	ringBase []int
	edgeTan  []float64 // len rows+1; row i covers [edgeTan[i], edgeTan[i+1])
	xs       []int32   // thumbnail sample columns
	lid      features.LidarExtractor
	cam      features.CameraExtractor
	stats    []float64
}

func newEncoder(r *Repr) *encoder {
	e := &encoder{r: r, stats: make([]float64, r.StatDims())}
	if r.Kind == sensors.KindLidar {
		cells := len(r.Elevations) * r.AzBins
		e.cells = make([]rangeCell, cells)
		e.ringBase = make([]int, 0, 128)
		ev := r.Elevations
		n := len(ev)
		e.edgeTan = make([]float64, n+1)
		for i := 0; i <= n; i++ {
			var el float64
			switch {
			case i == 0:
				el = float64(ev[0]) - 0.5*spacing(ev, 0)
			case i == n:
				el = float64(ev[n-1]) + 0.5*spacing(ev, n-1)
			default:
				el = 0.5 * float64(ev[i-1]+ev[i])
			}
			el = math.Max(-1.55, math.Min(1.55, el))
			e.edgeTan[i] = math.Tan(el)
		}
	}
	return e
}

// rowOfTan returns the row whose band holds a point with z/hypot(x,y) = t,
// or −1 outside the table.
func (e *encoder) rowOfTan(t float64) int {
	et := e.edgeTan
	if !(t >= et[0] && t < et[len(et)-1]) {
		return -1
	}
	lo, hi := 0, len(et)-2
	for lo < hi {
		mid := (lo + hi) / 2
		if et[mid+1] <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (e *encoder) reset() {
	e.lid.Reset()
	e.cam.Reset()
}

// raw writes the unstandardised representation of f into dst (len Dims).
func (e *encoder) raw(dst []float64, f sensors.Frame) error { return e.rawWith(dst, f, nil) }

// rawWith is raw with the frame statistics given: stats, when not nil, are
// the package features statistics of f computed by the caller from the same
// stream (so that a pipeline computes them once per frame), and the
// encoder's own extractors are left alone.
func (e *encoder) rawWith(dst []float64, f sensors.Frame, stats []float64) error {
	if f == nil {
		return fmt.Errorf("likelihood: %w: nil frame", ErrBadFrame)
	}
	if f.Kind() != e.r.Kind {
		return fmt.Errorf("likelihood: %w: model is for %v, frame is %v", ErrWrongKind, e.r.Kind, f.Kind())
	}
	nImg := e.r.ImageDims()
	switch fr := f.(type) {
	case *sensors.Scan:
		if fr == nil {
			return fmt.Errorf("likelihood: %w: nil scan", ErrBadFrame)
		}
		e.rangeImage(dst[:nImg], fr)
		if e.r.Channels == ChannelsWithStats && stats == nil {
			e.stats = e.lid.Next(e.stats, fr)
		}
	case *sensors.Image:
		if err := features.CheckImage(fr); err != nil {
			e.cam.Reset()
			return fmt.Errorf("likelihood: %w: %w", ErrBadFrame, err)
		}
		e.thumbnail(dst[:nImg], fr)
		if e.r.Channels == ChannelsWithStats && stats == nil {
			var err error
			if e.stats, err = e.cam.Next(e.stats, fr); err != nil {
				return fmt.Errorf("likelihood: %w: %w", ErrBadFrame, err)
			}
		}
	default:
		return fmt.Errorf("likelihood: %w: unsupported frame type %T", ErrWrongKind, f)
	}
	if stats == nil {
		stats = e.stats
	}
	copy(dst[nImg:], stats)
	return nil
}

// rowOf returns the row whose elevation is nearest to el (radians), or −1
// when el lies more than half a row spacing outside the table.
func (r *Repr) rowOf(el float64) int {
	ev := r.Elevations
	n := len(ev)
	i := sort.Search(n, func(i int) bool { return float64(ev[i]) >= el })
	best := i
	if i == n || (i > 0 && el-float64(ev[i-1]) < float64(ev[i])-el) {
		best = i - 1
	}
	half := 0.5 * spacing(ev, best)
	if math.Abs(el-float64(ev[best])) > half {
		return -1
	}
	return best
}

func spacing(ev []float32, i int) float64 {
	if len(ev) == 1 {
		return 0.035 // 2°
	}
	if i == 0 {
		return float64(ev[1] - ev[0])
	}
	if i == len(ev)-1 {
		return float64(ev[i] - ev[i-1])
	}
	return math.Max(float64(ev[i]-ev[i-1]), float64(ev[i+1]-ev[i]))
}

func (e *encoder) rangeImage(dst []float64, s *sensors.Scan) {
	r := e.r
	cells := len(r.Elevations) * r.AzBins
	clear(e.cells)
	// Rows of the scan's rings, when it numbers them with elevations.
	e.ringBase = e.ringBase[:0]
	if s.Rings > 0 && s.Rings <= 1024 && len(s.RingElevations) >= s.Rings {
		for ring := 0; ring < s.Rings; ring++ {
			base := -1
			if row := r.rowOf(float64(s.RingElevations[ring])); row >= 0 {
				base = row * r.AzBins
			}
			e.ringBase = append(e.ringBase, base)
		}
	}
	azScale := float64(r.AzBins) / (2 * math.Pi)
	pts := s.Points
	for i := 0; i < len(pts); i++ {
		// The points of known rings with an azimuth in [0, 2π) go
		// through a loop of their own; any other point ends it, takes
		// the general path here, and the loop resumes after it, so the
		// cells see the points in order.
		i += e.rangeCells(pts[i:], cells, azScale)
		if i < len(pts) {
			if c := e.cellOf(&pts[i], azScale); c >= 0 {
				e.keepNearest(c, &pts[i])
			}
		}
	}
	cellR := e.cells[:cells]
	rng, inten := dst[:cells], dst[cells:2*cells]
	invLogMax := 1 / math.Log1p(float64(r.MaxRange))
	rng, inten = rng[:len(cellR)], inten[:len(cellR)]
	for c, cell := range cellR {
		pb := cell.r
		if pb == 0 {
			rng[c], inten[c] = missingRange, 0
			continue
		}
		pr := math.Float32frombits(pb)
		rng[c] = min(math.Log1p(float64(pr))*invLogMax, 1.5)
		in := float64(cell.in)
		if !(in >= 0) {
			in = 0
		}
		inten[c] = min(in, 1)
	}
}

// The bit patterns of 10 km and 2π as float32s (TestRangeImageBits checks
// them). A positive float32 orders as its bits do; negative ones and NaNs
// have bits above these.
const (
	maxRangeBits = 0x461c4000
	twoPiBits    = 0x40c90fdb
)

// rangeCells keeps each cell's nearest return over pts, in order, while
// each point with a range in (0, 10 km] numbers a ring of e.ringBase and
// has an azimuth in [0, 2π); it returns the index of the first that does
// not (len(pts) when none). Points in a ring without a
// row are skipped. Its tests are integer compares of bit patterns: a range
// in (0, 10 km] is one minus one below maxRangeBits; an azimuth below
// twoPiBits is in [0, 2π) (float64(az) < 2π exactly when az is below
// float32(2π)), the one other such azimuth, −0, takes the general path;
// positive ranges order as their bits, and an empty cell's are 0.
func (e *encoder) rangeCells(pts []sensors.Point, cells int, azScale float64) int {
	// Locals, not fields: the stores to the cells could alias e, and the
	// compiler would reload every slice header at every point.
	ringBase, cellR := e.ringBase, e.cells[:cells]
	for i := range pts {
		p := &pts[i]
		rb := math.Float32bits(p.Range)
		if rb-1 >= maxRangeBits { // !(p.Range > 0 && p.Range <= 1e4)
			continue
		}
		ring, az := uint(p.Ring), p.Azimuth
		if ring >= uint(len(ringBase)) {
			return i
		}
		if math.Float32bits(az) >= twoPiBits {
			return i
		}
		base := ringBase[ring]
		if base < 0 {
			continue
		}
		// az is at most the float32 below 2π, so its column is below
		// AzBins without a clamp (TestAzimuthColumnBelowBins).
		c := base + int(float64(az)*azScale)
		// Nearer than the cell's return, or the cell is empty: its 0
		// wraps round to the largest pattern.
		if cell := &cellR[c]; rb-1 < cell.r-1 {
			cell.r, cell.in = rb, p.Intensity
		}
	}
	return len(pts)
}

// cellOf returns the cell of any point, or −1 for a point without one (no
// range, no row, an azimuth that is not a number): the general path of
// rangeCells. A point without a known ring gets the row of its elevation;
// an azimuth outside [0, 2π) is taken modulo 2π.
func (e *encoder) cellOf(p *sensors.Point, azScale float64) int {
	pr := p.Range
	if !(pr > 0 && pr <= 1e4) {
		return -1
	}
	var base int
	if int(p.Ring) < len(e.ringBase) {
		base = e.ringBase[p.Ring]
	} else {
		x, y, z := float64(p.X), float64(p.Y), float64(p.Z)
		h := math.Sqrt(x*x + y*y)
		if !(h > 0) || math.IsInf(h, 0) || math.IsNaN(z) {
			return -1
		}
		row := e.rowOfTan(z / h)
		if row < 0 {
			return -1
		}
		base = row * e.r.AzBins
	}
	if base < 0 {
		return -1
	}
	a := float64(p.Azimuth)
	if !(a >= 0 && a < 2*math.Pi) {
		a = math.Mod(a, 2*math.Pi)
		if a < 0 {
			a += 2 * math.Pi
		}
		if !(a >= 0) {
			return -1
		}
	}
	return base + min(int(a*azScale), e.r.AzBins-1)
}

// rangeCell is a cell of the range image: the nearest range as its
// float32 bits (0 when empty: positive ranges order as their bits) and
// that return's intensity.
type rangeCell struct {
	r  uint32
	in float32
}

// keepNearest keeps p in cell c when the cell is empty or p is nearer
// than its return.
func (e *encoder) keepNearest(c int, p *sensors.Point) {
	// p.Range is in (0, 10 km]: it orders as its bits.
	if cell, rb := &e.cells[c], math.Float32bits(p.Range); cell.r == 0 || rb < cell.r {
		cell.r, cell.in = rb, p.Intensity
	}
}

// cellSamples is the side of the sample grid inside one thumbnail cell.
const cellSamples = 4

// maxThumb is the largest thumbnail side.
const maxThumb = 256

func (e *encoder) thumbnail(dst []float64, im *sensors.Image) {
	if im.Format == sensors.Gray8 {
		e.thumbnailGray(dst, im)
		return
	}
	r := e.r
	tw, th := r.ThumbW, r.ThumbH
	n := tw * th
	lum, hf := dst[:n], dst[n:2*n]
	w, h := im.Width, im.Height
	// RGB24 pixels are converted one by one (features.Luma), never into a
	// full-frame copy.
	g, gs, gray := im.Pix, im.Stride, false
	for cy := 0; cy < th; cy++ {
		y0, y1 := cy*h/th, (cy+1)*h/th
		for cx := 0; cx < tw; cx++ {
			x0, x1 := cx*w/tw, (cx+1)*w/tw
			var sl, sh int32
			cnt, ch := int32(0), int32(0)
			for sy := 0; sy < cellSamples; sy++ {
				y := min(h-1, y0+(2*sy+1)*(y1-y0)/(2*cellSamples))
				for sx := 0; sx < cellSamples; sx++ {
					x := min(w-1, x0+(2*sx+1)*(x1-x0)/(2*cellSamples))
					c := y*gs + x
					v := int32(g[c])
					if !gray {
						v = features.Luma(im, x, y)
					}
					sl += v
					cnt++
					if x > 0 && y > 0 && x < w-1 && y < h-1 {
						var l int32
						if gray {
							l = 4*v - int32(g[c-1]) - int32(g[c+1]) - int32(g[c-gs]) - int32(g[c+gs])
						} else {
							l = 4*v - features.Luma(im, x-1, y) - features.Luma(im, x+1, y) - features.Luma(im, x, y-1) - features.Luma(im, x, y+1)
						}
						if l < 0 {
							l = -l
						}
						sh += l
						ch++
					}
				}
			}
			i := cy*tw + cx
			lum[i] = float64(sl) / float64(cnt) / 255
			if ch > 0 {
				hf[i] = math.Log(1.0/255 + float64(sh)/float64(ch)/255)
			} else {
				hf[i] = math.Log(1.0 / 255)
			}
		}
	}
}

// thumbnailGray is thumbnail for a Gray8 image, read in place, with the
// same samples and sums: the sample columns are worked out once per frame,
// and the cells of a thumbnail row are summed one sample row at a time.
func (e *encoder) thumbnailGray(dst []float64, im *sensors.Image) {
	r := e.r
	tw, th := r.ThumbW, r.ThumbH
	n := tw * th
	lum, hf := dst[:n], dst[n:2*n]
	w, h := im.Width, im.Height
	g, gs := im.Pix, im.Stride
	// Sample columns of every cell; xs[k] < 0 marks a border column,
	// −1−x, which has no Laplacian.
	xs := e.xs[:0]
	for cx := range tw {
		x0, x1 := cx*w/tw, (cx+1)*w/tw
		for sx := range cellSamples {
			x := min(w-1, x0+(2*sx+1)*(x1-x0)/(2*cellSamples))
			if x == 0 || x == w-1 {
				x = -1 - x
			}
			xs = append(xs, int32(x))
		}
	}
	e.xs = xs
	var sl, sh, ch [maxThumb]int32
	for cy := range th {
		y0, y1 := cy*h/th, (cy+1)*h/th
		clear(sl[:tw])
		clear(sh[:tw])
		clear(ch[:tw])
		for sy := range cellSamples {
			y := min(h-1, y0+(2*sy+1)*(y1-y0)/(2*cellSamples))
			row := g[y*gs : y*gs+w]
			if y == 0 || y == h-1 {
				for k, x := range xs {
					if x < 0 {
						x = -1 - x
					}
					sl[k/cellSamples] += int32(row[x])
				}
				continue
			}
			up, dn := g[(y-1)*gs:(y-1)*gs+w], g[(y+1)*gs:(y+1)*gs+w]
			for k, x := range xs {
				cx := k / cellSamples
				if x < 0 {
					sl[cx] += int32(row[-1-x])
					continue
				}
				if x == 0 || int(x) >= len(row)-1 || int(x) >= len(up) || int(x) >= len(dn) {
					continue // never (x is inside): drops the bounds checks below
				}
				v := int32(row[x])
				sl[cx] += v
				l := 4*v - int32(row[x-1]) - int32(row[x+1]) - int32(up[x]) - int32(dn[x])
				m := l >> 31
				sh[cx] += (l ^ m) - m
				ch[cx]++
			}
		}
		for cx := range tw {
			i := cy*tw + cx
			lum[i] = float64(sl[cx]) / float64(cellSamples*cellSamples) / 255
			if ch[cx] > 0 {
				hf[i] = math.Log(1.0/255 + float64(sh[cx])/float64(ch[cx])/255)
			} else {
				hf[i] = math.Log(1.0 / 255)
			}
		}
	}
}

// standardize maps a raw vector to model inputs in place.
//
// The builtin min and max, unlike math.Min and math.Max, compile inline;
// the language defines them with the same results for NaN, infinities and
// signed zeros.
func (r *Repr) standardize(x []float64) {
	nImg := r.ImageDims()
	for i := range x {
		v := x[i]
		if math.IsNaN(v) {
			x[i] = 0
			continue
		}
		z := (v - r.Center[i]) / r.Scale[i]
		if i >= nImg {
			// Statistics are heavy-tailed under faults: compress the tail
			// so that 8σ…3000σ stay ordered inside the clip.
			if z >= 0 {
				z = math.Log1p(z)
			} else {
				z = -math.Log1p(-z)
			}
			z *= 1.5
		}
		x[i] = max(-inputClip, min(inputClip, z))
	}
}

// quantizeInput converts standardised inputs to int16 Q11 (scale 1/2048),
// clamped to ±inputMax.
func quantizeInput(dst []int16, x []float64) {
	for i, v := range x {
		q := math.Round(v * inputScale)
		if q > inputMax {
			q = inputMax
		} else if q < -inputMax {
			q = -inputMax
		}
		dst[i] = int16(q)
	}
}
