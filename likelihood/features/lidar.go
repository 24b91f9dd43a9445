package features

import (
	"math"

	"github.com/sensortrust/trustagent/sensors"
)

// Grid geometry of the LiDAR statistics: rings (or 0.5° elevation bands when
// a scan carries no ring numbers) × 512 azimuth bins. 512 bins keep about
// three VLP-16 returns per cell at 10 Hz, fine enough for neighbour tests.
const (
	gridAz       = 512
	gridRows     = 128
	bandDeg      = 0.5
	bandMinDeg   = -40.0
	rangeBins    = 520 // 0.25 m bins, 0–130 m
	rangeBinM    = 0.25
	heightBins   = 400 // 0.05 m bins, −10…+10 m
	heightBinM   = 0.05
	heightMinM   = -10.0
	intenBins    = 256
	nearRangeM   = 2.0
	maxDiffRange = 2.0
)

var lidarNames = []string{
	"log_points",          // log(1 + returns)
	"ring_empty_frac",     // rings (between first and last occupied) with < 10 % of the median ring count
	"ring_count_cv",       // coefficient of variation of per-ring counts
	"ring_min_rel",        // smallest ring count / median ring count
	"range_p10",           // m
	"range_p50",           // m
	"range_p90",           // m
	"range_mean",          // m
	"intensity_p10",       // [0, 1]
	"intensity_p50",       // [0, 1]
	"intensity_p90",       // [0, 1]
	"intensity_mean",      // [0, 1]
	"z_mean",              // m
	"z_std",               // m
	"z_p05",               // m
	"z_p95",               // m
	"near_frac",           // returns closer than 2 m
	"isolated_frac",       // cells unlike both azimuth neighbours, or with no neighbour at all
	"rough_mean",          // mean |second difference of range along a ring|, clipped at 1 m
	"rough_frac_5cm",      // fraction of ring triplets with second difference > 5 cm
	"rough_frac_20cm",     // > 20 cm
	"occupied_az_frac",    // azimuth bins (of 512) with any return
	"grid_fill",           // occupied cells of the rings × 512 grid between first and last ring
	"low_intensity_frac",  // returns with intensity < 0.02
	"ground_intensity",    // mean intensity of returns within 0.2 m of the 10th height percentile
	"prev_count_ratio",    // log(returns / previous returns)
	"prev_mean_abs_dr",    // mean |Δrange| over cells occupied in both scans, clipped at 2 m
	"prev_changed_frac",   // cells that appeared, vanished or moved > 0.5 m
	"prev_identical_frac", // cells occupied in both with bit-identical range
	"returns_per_cell",    // returns / occupied cells of the 512-bin grid: density on surfaces, not scene openness
}

// LidarNames returns the names of the statistics Lidar computes, in order.
func LidarNames() []string { return append([]string(nil), lidarNames...) }

// LidarSceneStats names the statistics that describe the scene around the
// LiDAR more than the sensor: how much of the view is open, how much is
// close, how far the near and far returns lie, and how the return count
// moves as obstacles come and go. A healthy sensor on a new street moves
// them as far as a fault does. The other statistics measure the sensor
// (return density on surfaces, intensity, noise, change between scans,
// ring counts) whatever it looks at.
func LidarSceneStats() []string {
	return []string{"range_p10", "range_p90", "near_frac", "occupied_az_frac", "prev_count_ratio"}
}

// LidarExtractor computes LiDAR statistics frame after frame, remembering the
// previous scan's grid. The zero value is ready to use; it is not safe for
// concurrent use.
type LidarExtractor struct {
	grid, prev      []float32 // rows × gridAz nearest range, 0 = empty
	h               *lidarHists
	prevOK          bool
	prevCount       int
	ringCount       []int
	rangeH, heightH []int32
	intenH          []int32
	heightI         []float64 // intensity sum per height bin
	bandTan         []float64 // tan of the elevation band edges
	gLo, gHi        int       // rows of grid holding data (to clear)
	pLo, pHi        int       // rows of prev holding data
	azOcc           []bool
	counts          []float64
}

// Lidar computes the statistics of cur (prev may be nil) into dst, resized
// to len(LidarNames()), and returns it. It allocates; use a LidarExtractor in
// a loop.
func Lidar(dst []float64, cur, prev *sensors.Scan) []float64 {
	var e LidarExtractor
	if prev != nil {
		e.Next(nil, prev)
	}
	return e.Next(dst, cur)
}

// Reset forgets the previous scan.
func (e *LidarExtractor) Reset() { e.prevOK = false }

func (e *LidarExtractor) init() {
	if e.grid != nil {
		return
	}
	e.grid = make([]float32, gridRows*gridAz)
	e.prev = make([]float32, gridRows*gridAz)
	// The histograms live in one struct: the point loop reaches them all
	// from one register.
	e.h = new(lidarHists)
	e.ringCount = e.h.ringCount[:]
	e.rangeH = e.h.rangeH[:]
	e.heightH = e.h.heightH[:]
	e.heightI = e.h.heightI[:]
	e.intenH = e.h.intenH[:]
	e.azOcc = e.h.azOcc[:]
	e.bandTan = make([]float64, gridRows+1)
	for i := range e.bandTan {
		e.bandTan[i] = math.Tan((bandMinDeg + bandDeg*float64(i)) * math.Pi / 180)
	}
	e.counts = make([]float64, 0, gridRows)
}

// lidarHists are the per-scan histograms and counts of the point pass.
type lidarHists struct {
	rangeH    [rangeBins]int32
	heightH   [heightBins]int32
	intenH    [intenBins]int32
	ringCount [gridRows]int
	heightI   [heightBins]float64 // intensity sum per height bin
	azOcc     [gridAz]bool
}

// pointSums are the running sums of the point pass, each added in point
// order (they are float64 sums: the order is part of their bits).
type pointSums struct {
	sumR, sumI, sumZ, sumZ2 float64
	lowI                    int
}

// binScales are the bin scales of the point pass, handed to it as values
// rather than written there as constants: the compiler sets a loop's float
// constants up again on every point that a continue skips (a VLP-16 scan
// has thousands without a return), but keeps values in registers.
type binScales struct {
	az   float64 // azimuth bins per radian, rounded as in azBin
	r    float64 // range bins per metre
	zOff float64 // height of bin 0's lower edge, m
	z    float64 // height bins per metre
	in   float64 // intensity bins per unit
}

// lidarScales are the scales of the LiDAR statistics' bins.
func lidarScales() binScales {
	return binScales{az: float64(gridAz) / (2 * math.Pi), r: 1 / rangeBinM, zOff: heightMinM, z: 1 / heightBinM, in: intenBins}
}

// Bit patterns of okPoint's limits: for a float32 f, |f| < 1e4 exactly
// when Float32bits(f)&^sign < limBits (NaN's patterns lie above every
// finite one), and 0 < f < 1e4 when Float32bits(f)−1 < limBits−1 as
// uint32 (+0 wraps round, negative values have the sign bit).
const (
	limBits = 0x461c4000 // Float32bits(1e4)
	// twoPiBits is Float32bits(2π): a float32 az ≥ 0 is below 2π as a
	// float64 exactly when its bits are below these, or are −0's
	// (negZeroBits); a NaN's are neither.
	twoPiBits   = 0x40c90fdb
	negZeroBits = 0x80000000
	oneBits     = 0x3f800000 // Float32bits(1)
	infBits     = 0x7f800000 // Float32bits(+Inf)
	// lowIBits is the bits of the least float32 that is not below 0.02
	// (a float64): a float32 f ≥ 0 is below 0.02 exactly when its bits
	// are below these.
	lowIBits = 0x3ca3d70b
	signMask = 0x7fffffff
)

// fast adds the points of pts to h, s and grid in order while each is
// either unusable (okPoint false: skipped) or numbered by its ring below
// rings with an azimuth in [0, 2π), and returns how many it took: pts[k]
// for the returned k (if any) needs the general path (point). A point
// whose azimuth is NaN is unusable, but fast leaves it to the general
// path, which skips it.
func (h *lidarHists) fast(pts []sensors.Point, grid *[gridRows * gridAz]float32, rings int, s *pointSums, k *binScales) int {
	sumR, sumI, sumZ, sumZ2, lowI := s.sumR, s.sumI, s.sumZ, s.sumZ2, s.lowI
	azScale, rScale, zOff, zScale, iScale := k.az, k.r, k.zOff, k.z, k.in
	// Dereferenced once here, h and grid need no nil check per point.
	_, _ = h.rangeH[0], grid[0]
	i := 0
	for ; i < len(pts); i++ {
		p := &pts[i]
		// okPoint, on the bit patterns: integer compares, no float
		// loads for the points rejected. Its last condition, an
		// azimuth that is a number, is left to the next test.
		rb := math.Float32bits(p.Range)
		if rb-1 >= limBits-1 {
			continue
		}
		if max(math.Float32bits(p.X)&signMask, math.Float32bits(p.Y)&signMask, math.Float32bits(p.Z)&signMask) >= limBits {
			continue
		}
		// az in [0, 2π) on its bits: below float32(2π)'s (float64(az)
		// < 2π exactly then), or −0. A NaN azimuth is neither: the
		// general path skips its point, as okPoint says.
		ring, ab := int(p.Ring), math.Float32bits(p.Azimuth)
		if ring >= rings || ab >= twoPiBits && ab != negZeroBits {
			break
		}
		az := float64(p.Azimuth)
		r := float64(p.Range)
		// unitIntensity on the bits: an intensity in [+0, 1) is its
		// own, one in [1, +Inf] is 1, and a NaN or a negative one is
		// +0 (unitIntensity gives −0 for −0, but every sum it goes to
		// starts at +0 and never holds −0, and x + −0 = x + +0 then).
		ib := math.Float32bits(p.Intensity)
		if ib >= oneBits {
			ib = unitBits(ib)
		}
		in := float64(math.Float32frombits(ib))
		z := float64(p.Z)
		sumR += r
		sumI += in
		sumZ += z
		sumZ2 += z * z
		if ib < lowIBits { // in < 0.02, for 0 ≤ in ≤ 1
			lowI++
		}
		// r > 0 and in ≥ 0: the bins need no lower clamp.
		h.rangeH[min(uint(int(r*rScale)), rangeBins-1)]++
		// clampBin, with one bounds check less.
		hu := min(uint(max(int((z-zOff)*zScale), 0)), heightBins-1)
		h.heightH[hu]++
		h.heightI[hu] += in
		h.intenH[min(uint(int(in*iScale)), intenBins-1)]++
		ring &= gridRows - 1 // ring < rings ≤ gridRows
		h.ringCount[ring]++
		// azBin's fast path: az is at most the float32 below 2π, whose
		// bin is below gridAz (TestLidarAzimuthBinBelowBins), so azBin's
		// clamp never acts and the mask only drops the bounds checks.
		a := uint(int(az*azScale)) & (gridAz - 1)
		h.azOcc[a] = true
		// The nearest return of the cell, without a branch: a range's
		// bit pattern minus one orders positive ranges, and an empty
		// cell's (0) wraps round to the largest.
		c := &grid[uint(ring)*gridAz+a]
		*c = math.Float32frombits(min(rb-1, math.Float32bits(*c)-1) + 1)
	}
	s.sumR, s.sumI, s.sumZ, s.sumZ2, s.lowI = sumR, sumI, sumZ, sumZ2, lowI
	return i
}

// unitBits is the bits of a unit intensity in [1, +Inf] (1) or NaN or
// negative (+0), given its float32 bits, at least oneBits. It is not
// inlined: the point pass calls it rarely, and as a branch, not a select.
//
//go:noinline
func unitBits(ib uint32) uint32 {
	if ib <= infBits {
		return oneBits
	}
	return 0
}

// unitIntensity is a return's intensity clamped to [0, 1], NaN as 0.
func unitIntensity(v float32) float64 {
	in := float64(v)
	if !(in >= 0) {
		return 0
	}
	if in > 1 {
		return 1
	}
	return in
}

// point adds one point of cur, any point, to the histograms, s and the
// grid: the general path of fast.
func (e *LidarExtractor) point(cur *sensors.Scan, p *sensors.Point, rings int, s *pointSums) {
	if !okPoint(p) {
		return
	}
	h := e.h
	r := float64(p.Range)
	in := unitIntensity(p.Intensity)
	z := float64(p.Z)
	s.sumR += r
	s.sumI += in
	s.sumZ += z
	s.sumZ2 += z * z
	if in < 0.02 {
		s.lowI++
	}
	h.rangeH[clampBin(int(r*(1/rangeBinM)), rangeBins)]++
	hb := clampBin(int((z-heightMinM)*(1/heightBinM)), heightBins)
	h.heightH[hb]++
	h.heightI[hb] += in
	h.intenH[clampBin(int(in*intenBins), intenBins)]++
	var rw int
	if int(p.Ring) < rings {
		rw = int(p.Ring)
	} else {
		rw = e.row(cur, p)
	}
	h.ringCount[rw&(gridRows-1)]++
	a := azBin(p.Azimuth, gridAz) & (gridAz - 1)
	h.azOcc[a] = true
	c := &e.grid[rw*gridAz+a]
	if *c == 0 || p.Range < *c {
		*c = p.Range
	}
}

// row returns the grid row of a point: its ring when the scan numbers rings,
// else its 0.5° elevation band (found by comparing z/hypot(x, y) with the
// tangents of the band edges: no trigonometry per point).
func (e *LidarExtractor) row(s *sensors.Scan, p *sensors.Point) int {
	if s.Rings > 0 && s.Rings <= gridRows && int(p.Ring) < s.Rings {
		return int(p.Ring)
	}
	h := math.Sqrt(float64(p.X)*float64(p.X) + float64(p.Y)*float64(p.Y))
	if h == 0 {
		if p.Z > 0 {
			return gridRows - 1
		}
		return 0
	}
	t := float64(p.Z) / h
	lo, hi := 0, gridRows // band b covers [bandTan[b], bandTan[b+1])
	for lo < hi {
		mid := (lo + hi) / 2
		if e.bandTan[mid+1] <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo >= gridRows {
		lo = gridRows - 1
	}
	return lo
}

func azBin(az float32, bins int) int {
	a := float64(az)
	if !(a >= 0 && a < 2*math.Pi) {
		a = math.Mod(a, 2*math.Pi)
		if a < 0 {
			a += 2 * math.Pi
		}
		if !(a >= 0) {
			return 0
		}
	}
	b := int(a * (float64(bins) / (2 * math.Pi)))
	if b >= bins {
		b = bins - 1
	}
	return b
}

// okPoint reports whether p is a usable return: finite, positive range
// below 10 km and finite coordinates.
func okPoint(p *sensors.Point) bool {
	const lim = 1e4
	r := p.Range
	return r > 0 && r < lim && p.X > -lim && p.X < lim && p.Y > -lim && p.Y < lim &&
		p.Z > -lim && p.Z < lim && p.Azimuth == p.Azimuth
}

// Next computes the statistics of cur into dst (resized), then remembers cur
// as the previous scan. A nil cur yields NaNs and forgets the previous scan.
func (e *LidarExtractor) Next(dst []float64, cur *sensors.Scan) []float64 {
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
	*e.h = lidarHists{}
	rings := 0 // the scan numbers its rings: a point's row is its ring
	if cur.Rings > 0 && cur.Rings <= gridRows {
		rings = cur.Rings
	}
	grid := (*[gridRows * gridAz]float32)(e.grid)
	var sums pointSums
	k := lidarScales()
	for pts := cur.Points; len(pts) > 0; {
		n := e.h.fast(pts, grid, rings, &sums, &k)
		if n < len(pts) {
			e.point(cur, &pts[n], rings, &sums)
			n++
		}
		pts = pts[n:]
	}
	sumR, sumI, sumZ, sumZ2, lowI := sums.sumR, sums.sumI, sums.sumZ, sums.sumZ2, sums.lowI
	// Every usable point has one range bin; those below 2 m are the bins
	// below 2/rangeBinM (r·4 is exact, so r < 2 exactly when ⌊4r⌋ < 8).
	n, near := 0, 0
	for b, k := range e.h.rangeH {
		n += int(k)
		if b < int(nearRangeM/rangeBinM) {
			near += int(k)
		}
	}
	// The rows of the grid written: those with points.
	for rw, k := range e.h.ringCount {
		if k > 0 {
			e.gLo, e.gHi = min(e.gLo, rw), rw+1
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
	iso, cells, trip, r5, r20, rough := neighbours(grid, first, last)
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

const indexNearFrac = 16

// Bits of 0.5 and of maxDiffRange as float32s (TestNeighbourBits).
const (
	halfBits    = 0x3f000000
	maxDiffBits = 0x40000000
)

// Bits of the least float32 above 0.05 and above 0.2 (float64s): a
// float32 d ≥ 0 is above 0.05 exactly when its bits are at least
// above5Bits (TestNeighbourBits).
const (
	above5Bits  = 0x3d4ccccd
	above20Bits = 0x3e4ccccd
)

// neighbours counts, over rows first…last of grid (rows × gridAz nearest
// ranges, 0 = empty), the occupied cells, those unlike both azimuth
// neighbours or with no neighbour at all (iso), and the second
// differences of range along each ring at the trip cells with both
// neighbours: how many exceed 5 and 20 cm, and their sum clipped at 1 m,
// added in cell order.
func neighbours(grid *[gridRows * gridAz]float32, first, last int) (iso, cells, trip, r5, r20 int, rough float64) {
	for rw := first; rw <= last; rw++ {
		line := (*[gridAz]float32)(grid[rw*gridAz:])
		for a, r := range line {
			if !(r > 0) { // r == 0: a cell holds 0 or a positive range
				continue
			}
			cells++
			rl := line[(a-1)&(gridAz-1)] // the azimuth bins wrap around
			rr := line[(a+1)&(gridAz-1)]
			if rl == 0 || rr == 0 {
				if rl == 0 && rr == 0 && isolated(grid, rw, a) {
					iso++
				}
				continue
			}
			t := 0.3 + 0.05*r
			if abs32(r-rl) > t && abs32(r-rr) > t && abs32(rl-rr) < t {
				iso++
			}
			// d = |r − (rl+rr)/2| on its bits: float64(min(d, 1)) is
			// min(float64(d), 1), and d ≥ 0 orders as its bits.
			db := math.Float32bits(r-0.5*(rl+rr)) & signMask
			trip++
			rough += float64(math.Float32frombits(min(db, oneBits)))
			if db >= above5Bits {
				r5++
			}
			if db >= above20Bits {
				r20++
			}
		}
	}
	return iso, cells, trip, r5, r20, rough
}

// isolated reports whether the cells above and below cell a of row rw
// are empty.
func isolated(grid *[gridRows * gridAz]float32, rw, a int) bool {
	up, down := float32(0), float32(0)
	if rw > 0 {
		up = grid[(rw-1)*gridAz+a]
	}
	if rw+1 < gridRows {
		down = grid[(rw+1)*gridAz+a]
	}
	return up == 0 && down == 0
}

// done fills the previous-scan statistics and makes cur the previous scan.
func (e *LidarExtractor) done(dst []float64, n int) []float64 {
	e.changeStats(dst[25:29], n)
	e.grid, e.prev = e.prev, e.grid
	e.gLo, e.gHi, e.pLo, e.pHi = e.pLo, e.pHi, e.gLo, e.gHi
	e.prevOK = true
	e.prevCount = n
	return dst
}

// changeStats fills the four previous-scan statistics (e.grid is the
// current grid, e.prev the previous one).
func (e *LidarExtractor) changeStats(d []float64, n int) {
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
	cur := e.grid[lo*gridAz : hi*gridAz]
	prev := e.prev[lo*gridAz : hi*gridAz]
	prev = prev[:len(cur)] // one length: no bounds check per cell
	// A cell holds 0 or a positive range (never NaN), so r+p is 0 only
	// when both are. |r − p| is taken on its bits: a float32 ≥ 0 orders
	// as its bits do, 0.5 and maxDiffRange are float32s, r − p is 0
	// exactly when r = p (gradual underflow), and float64(min(d, 2)) =
	// min(float64(d), 2).
	for i, r := range cur {
		p := prev[i]
		if !(r+p > 0) {
			continue
		}
		either++
		if r == 0 || p == 0 {
			changed++
			continue
		}
		both++
		db := math.Float32bits(r-p) & signMask
		if db > halfBits {
			changed++
		}
		if db == 0 {
			same++
		}
		sum += float64(math.Float32frombits(min(db, maxDiffBits)))
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

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func clampBin(b, n int) int {
	if b < 0 {
		return 0
	}
	if b >= n {
		return n - 1
	}
	return b
}

// histQuantile returns the bin position (fractional, linear within the bin)
// below which a fraction q of the n counted values lie.
func histQuantile(h []int32, n int, q float64) float64 {
	target := q * float64(n)
	var acc float64
	for i, c := range h {
		fc := float64(c)
		if acc+fc >= target && fc > 0 {
			return float64(i) + (target-acc)/fc
		}
		acc += fc
	}
	return float64(len(h))
}

// medianSmall returns the median of a short slice without reordering it.
func medianSmall(v []float64) float64 {
	// Selection by counting: O(n²) on at most 128 values.
	n := len(v)
	if n == 0 {
		return 0
	}
	k := n / 2
	for _, x := range v {
		less, eq := 0, 0
		for _, y := range v {
			if y < x {
				less++
			} else if y == x {
				eq++
			}
		}
		if less <= k && k < less+eq {
			return x
		}
	}
	return v[0]
}

func resize(dst []float64, n int) []float64 {
	if cap(dst) < n {
		return make([]float64, n)
	}
	return dst[:n]
}
