package features

import (
	"math"

	"github.com/sensortrust/trustagent/sensors"
)

// The statistics as first written, one plain loop per statistic, kept as the
// reference the optimised extractors must match bit for bit
// (TestCameraMatchesReference, TestLidarMatchesReference).

// refCamera is a CameraExtractor computed the reference way.
type refCamera struct {
	CameraExtractor
	rgb []byte
}

// refLidar is a LidarExtractor computed the reference way.
type refLidar struct{ LidarExtractor }

// Next is CameraExtractor.Next as first written: it computes the statistics of cur into dst and remembers cur.
func (e *refCamera) Next(dst []float64, cur *sensors.Image) ([]float64, error) {
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
	const m = 4 // margin for the widest Laplacian
	var g []byte
	var gs int
	g, gs, e.rgb = refGrayView(cur, e.rgb)
	e.cur = e.cur[:0]
	var sum, sum2 float64
	var lap [3]struct{ s, s2 float64 }
	var hot, cold, g0, g1, g2 int
	n, nl := 0, 0
	for y := 0; y < h; y += st {
		row := g[y*gs:]
		inner := y >= m && y < h-m
		for x := 0; x < w; x += st {
			v := int32(row[x])
			e.cur = append(e.cur, uint8(v))
			e.hist[v]++
			fv := float64(v)
			sum += fv
			sum2 += fv * fv
			n++
			if !inner || x < m || x >= w-m {
				continue
			}
			nl++
			c := y*gs + x
			for k, s := range [3]int{1, 2, 4} {
				l := float64(4*v - int32(g[c-s]) - int32(g[c+s]) - int32(g[c-s*gs]) - int32(g[c+s*gs]))
				lap[k].s += l
				lap[k].s2 += l * l
			}
			l, r, u, d := int32(g[c-1]), int32(g[c+1]), int32(g[c-gs]), int32(g[c+gs])
			l1 := 4*v - l - r - u - d
			if l1 < 0 {
				e.lapHist[-l1]++
			} else {
				e.lapHist[l1]++
			}
			if v-max(l, r, u, d) > 50 {
				hot++
			}
			if min(l, r, u, d)-v > 50 {
				cold++
			}
			gr := abs(r-l)/2 + abs(d-u)/2
			switch {
			case gr < 4:
				g0++
			case gr <= 32:
				g1++
			default:
				g2++
			}
		}
	}
	const sc = 1.0 / 255
	fn := float64(n)
	dst[0] = histQuantile(e.hist, n, 0.01) * sc
	dst[1] = histQuantile(e.hist, n, 0.10) * sc
	dst[2] = histQuantile(e.hist, n, 0.50) * sc
	dst[3] = histQuantile(e.hist, n, 0.90) * sc
	dst[4] = histQuantile(e.hist, n, 0.99) * sc
	mean := sum / fn
	dst[5] = mean * sc
	dst[6] = math.Sqrt(math.Max(sum2/fn-mean*mean, 0)) * sc
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
	if nl > 0 {
		fl := float64(nl)
		for k := range lap {
			mu := lap[k].s / fl
			dst[9+k] = math.Log(math.Max(lap[k].s2/fl-mu*mu, 0)*sc*sc + 1e-8)
		}
		dst[12] = 1.4826 * histQuantile(e.lapHist, nl, 0.5) * sc / math.Sqrt(20)
		dst[14] = float64(hot) / fl
		dst[15] = float64(cold) / fl
		dst[16] = float64(g0) / fl
		dst[17] = float64(g1) / fl
		dst[18] = float64(g2) / fl
		dst[19] = dst[9] - dst[10]
		dst[20] = dst[10] - dst[11]
	} else {
		for k := 9; k <= 20; k++ {
			if k != 13 {
				dst[k] = nan
			}
		}
	}
	dst[13] = refBlockiness(g, gs, w, h, st)
	// Change against the previous frame.
	if e.prevOK && e.prevW == w && e.prevH == h && len(e.prev) == len(e.cur) {
		var sd float64
		same, changed := 0, 0
		for i, v := range e.cur {
			d := int32(v) - int32(e.prev[i])
			if d == 0 {
				same++
			}
			if d > 25 || d < -25 {
				changed++
			}
			sd += float64(abs(d))
		}
		// Logarithms, because cameras differ by orders of magnitude in what
		// moves: a fixed camera behind a video codec repeats about 75 % of
		// its samples bit for bit between clean frames (vtest.avi), a moving
		// or noisy one about 9 % (the simulator). On a linear scale a frozen
		// frame (100 %) lay inside that spread; as the logarithm of what
		// moved it lies three to four decades below any clean frame.
		dst[21] = math.Log10(sd/fn*sc + 1.0/4096)
		dst[22] = math.Log10((fn - float64(same) + 1) / (fn + 1))
		dst[23] = float64(changed) / fn
	} else {
		dst[21], dst[22], dst[23] = nan, nan, nan
	}
	e.cur, e.prev = e.prev, e.cur
	e.prevW, e.prevH, e.prevOK = w, h, true
	return dst, nil
}

// refBlockiness is blockiness as first written; it compares luma steps across 8-pixel column boundaries with steps
// elsewhere, on every st-th row (JPEG/MPEG 8×8 block artefacts).
func refBlockiness(g []byte, gs, w, h, st int) float64 {
	if w < 17 {
		return math.NaN()
	}
	var at, off int64
	na, no := 0, 0
	for y := 0; y < h; y += st {
		row := g[y*gs : y*gs+w]
		for x := 1; x < w; x++ {
			d := int64(row[x]) - int64(row[x-1])
			if d < 0 {
				d = -d
			}
			if x%8 == 0 {
				at += d
				na++
			} else {
				off += d
				no++
			}
		}
	}
	return math.Log((float64(at)/float64(na) + 0.5) / (float64(off)/float64(no) + 0.5))
}

// Next is LidarExtractor.Next as first written: it computes the statistics of cur into dst (resized), then remembers cur
// as the previous scan. A nil cur yields NaNs and forgets the previous scan.
func (e *refLidar) Next(dst []float64, cur *sensors.Scan) []float64 {
	e.init()
	dst = resize(dst, len(lidarNames))
	if cur == nil {
		for i := range dst {
			dst[i] = math.NaN()
		}
		e.prevOK = false
		return dst
	}
	if e.gLo < e.gHi {
		clear(e.grid[e.gLo*gridAz : e.gHi*gridAz]) // only the rows this buffer holds
	}
	e.gLo, e.gHi = gridRows, 0
	clear(e.ringCount)
	clear(e.heightI)
	clear(e.rangeH)
	clear(e.heightH)
	clear(e.intenH)
	clear(e.azOcc)
	n := 0
	var sumR, sumI, sumZ, sumZ2 float64
	near, lowI := 0, 0
	for i := range cur.Points {
		p := &cur.Points[i]
		if !okPoint(p) {
			continue
		}
		n++
		r := float64(p.Range)
		in := float64(p.Intensity)
		if !(in >= 0) {
			in = 0
		}
		if in > 1 {
			in = 1
		}
		z := float64(p.Z)
		sumR += r
		sumI += in
		sumZ += z
		sumZ2 += z * z
		if r < nearRangeM {
			near++
		}
		if in < 0.02 {
			lowI++
		}
		e.rangeH[clampBin(int(r*(1/rangeBinM)), rangeBins)]++
		hb := clampBin(int((z-heightMinM)*(1/heightBinM)), heightBins)
		e.heightH[hb]++
		e.heightI[hb] += in
		e.intenH[clampBin(int(in*intenBins), intenBins)]++
		rw := e.row(cur, p)
		e.gLo, e.gHi = min(e.gLo, rw), max(e.gHi, rw+1)
		e.ringCount[rw]++
		a := azBin(p.Azimuth, gridAz)
		e.azOcc[a] = true
		c := &e.grid[rw*gridAz+a]
		if *c == 0 || p.Range < *c {
			*c = p.Range
		}
	}
	nan := math.NaN()
	fn := float64(n)
	dst[0] = math.Log1p(fn)
	// Ring span and per-ring counts.
	first, last := -1, -1
	for r := 0; r < gridRows; r++ {
		if e.ringCount[r] > 0 {
			if first < 0 {
				first = r
			}
			last = r
		}
	}
	if cur.Rings > 0 && cur.Rings <= gridRows {
		first, last = 0, cur.Rings-1
	}
	if n == 0 || first < 0 {
		for i := 1; i < len(dst); i++ {
			dst[i] = nan
		}
		dst[indexNearFrac] = 0
		return e.done(dst, 0)
	}
	e.counts = e.counts[:0]
	for r := first; r <= last; r++ {
		e.counts = append(e.counts, float64(e.ringCount[r]))
	}
	med := medianSmall(e.counts)
	var cm, cs float64
	empty := 0
	minC := math.Inf(1)
	for _, c := range e.counts {
		cm += c
		if c < 0.1*med {
			empty++
		}
		minC = math.Min(minC, c)
	}
	cm /= float64(len(e.counts))
	for _, c := range e.counts {
		cs += (c - cm) * (c - cm)
	}
	cs = math.Sqrt(cs / float64(len(e.counts)))
	dst[1] = float64(empty) / float64(len(e.counts))
	dst[2] = cs / math.Max(cm, 1)
	dst[3] = minC / math.Max(med, 1)
	dst[4] = histQuantile(e.rangeH, n, 0.10) * rangeBinM
	dst[5] = histQuantile(e.rangeH, n, 0.50) * rangeBinM
	dst[6] = histQuantile(e.rangeH, n, 0.90) * rangeBinM
	dst[7] = sumR / fn
	dst[8] = histQuantile(e.intenH, n, 0.10) / intenBins
	dst[9] = histQuantile(e.intenH, n, 0.50) / intenBins
	dst[10] = histQuantile(e.intenH, n, 0.90) / intenBins
	dst[11] = sumI / fn
	zm := sumZ / fn
	dst[12] = zm
	dst[13] = math.Sqrt(math.Max(sumZ2/fn-zm*zm, 0))
	dst[14] = histQuantile(e.heightH, n, 0.05)*heightBinM + heightMinM
	dst[15] = histQuantile(e.heightH, n, 0.95)*heightBinM + heightMinM
	dst[16] = float64(near) / fn
	// Neighbourhood statistics on the grid.
	iso, cells, trip, r5, r20 := 0, 0, 0, 0, 0
	var rough float64
	for rw := first; rw <= last; rw++ {
		line := e.grid[rw*gridAz : (rw+1)*gridAz]
		for a := 0; a < gridAz; a++ {
			r := line[a]
			if r == 0 {
				continue
			}
			cells++
			rl := line[(a+gridAz-1)%gridAz]
			rr := line[(a+1)%gridAz]
			if rl == 0 && rr == 0 {
				up, down := float32(0), float32(0)
				if rw > 0 {
					up = e.grid[(rw-1)*gridAz+a]
				}
				if rw+1 < gridRows {
					down = e.grid[(rw+1)*gridAz+a]
				}
				if up == 0 && down == 0 {
					iso++
				}
				continue
			}
			if rl == 0 || rr == 0 {
				continue
			}
			t := 0.3 + 0.05*r
			if abs32(r-rl) > t && abs32(r-rr) > t && abs32(rl-rr) < t {
				iso++
			}
			d := float64(abs32(r - 0.5*(rl+rr)))
			trip++
			rough += math.Min(d, 1)
			if d > 0.05 {
				r5++
			}
			if d > 0.2 {
				r20++
			}
		}
	}
	dst[17] = float64(iso) / math.Max(float64(cells), 1)
	if trip > 0 {
		dst[18] = rough / float64(trip)
		dst[19] = float64(r5) / float64(trip)
		dst[20] = float64(r20) / float64(trip)
	} else {
		dst[18], dst[19], dst[20] = nan, nan, nan
	}
	occ := 0
	for _, o := range e.azOcc {
		if o {
			occ++
		}
	}
	dst[21] = float64(occ) / gridAz
	dst[22] = float64(cells) / float64((last-first+1)*gridAz)
	dst[29] = fn / math.Max(float64(cells), 1)
	dst[23] = float64(lowI) / fn
	// Ground intensity: returns within 0.2 m of the 5th height percentile,
	// from the per-height-bin intensity sums.
	zg := clampBin(int((dst[14]+0.2-heightMinM)*(1/heightBinM)), heightBins)
	var gs float64
	gn := 0
	for b := 0; b <= zg; b++ {
		gs += e.heightI[b]
		gn += int(e.heightH[b])
	}
	if gn > 0 {
		dst[24] = gs / float64(gn)
	} else {
		dst[24] = nan
	}
	return e.done(dst, n)
}

// done fills the previous-scan statistics and makes cur the previous scan.
func (e *refLidar) done(dst []float64, n int) []float64 {
	e.changeStats(dst[25:29], n)
	e.grid, e.prev = e.prev, e.grid
	e.gLo, e.gHi, e.pLo, e.pHi = e.pLo, e.pHi, e.gLo, e.gHi
	e.prevOK = true
	e.prevCount = n
	return dst
}

// changeStats fills the four previous-scan statistics (e.grid is the
// current grid, e.prev the previous one).
func (e *refLidar) changeStats(d []float64, n int) {
	if !e.prevOK {
		for i := range d {
			d[i] = math.NaN()
		}
		return
	}
	d[0] = math.Log(float64(n+1) / float64(e.prevCount+1))
	both, changed, either, same := 0, 0, 0, 0
	var sum float64
	lo, hi := min(e.gLo, e.pLo), max(e.gHi, e.pHi)
	if lo >= hi {
		lo, hi = 0, 0
	}
	for i, r := range e.grid[lo*gridAz : hi*gridAz] {
		p := e.prev[lo*gridAz+i]
		if r == 0 && p == 0 {
			continue
		}
		either++
		if r == 0 || p == 0 {
			changed++
			continue
		}
		both++
		dr := float64(abs32(r - p))
		if dr > 0.5 {
			changed++
		}
		if r == p {
			same++
		}
		sum += math.Min(dr, maxDiffRange)
	}
	if both > 0 {
		d[1] = sum / float64(both)
		d[3] = float64(same) / float64(both)
	} else {
		d[1], d[3] = math.NaN(), math.NaN()
	}
	if either > 0 {
		d[2] = float64(changed) / float64(either)
	} else {
		d[2] = math.NaN()
	}
}

// refGrayView is the full-frame luma plane the reference reads: the pixel
// buffer itself for Gray8, else scratch (grown as needed) filled with
// BT.601 luma.
func refGrayView(im *sensors.Image, scratch []byte) (gray []byte, stride int, grown []byte) {
	if im.Format == sensors.Gray8 {
		return im.Pix, im.Stride, scratch
	}
	n := im.Width * im.Height
	if cap(scratch) < n {
		scratch = make([]byte, n)
	}
	scratch = scratch[:n]
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			scratch[y*im.Width+x] = uint8(Luma(im, x, y))
		}
	}
	return scratch, im.Width, scratch
}
