package scenes

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/velodyne"
)

// scanLidar is how a virtual VLP-16 sees a 3-D point scan. Each of its
// 16 × Columns rays takes the range of the scan point nearest to it in
// angle, within TolDeg of the ray in azimuth and elevation; a point more
// than Occlude metres nearer than the current one hides it.
type scanLidar struct {
	Columns int     // azimuth steps per revolution (1800: 0.2°, a VLP-16 at 10 Hz)
	TolDeg  float64 // angular tolerance of a ray, degrees
	Occlude float64 // metres
	// Height of the sensor above the scan's origin, metres.
	Height float64
	// MinRange and MaxRange bound the returns, metres.
	MinRange, MaxRange float64
	// RangeNoise is the σ of the range noise, metres.
	RangeNoise float64
	// Speed is the fastest forward motion, metres per frame; Sway the
	// amplitude of the sideways motion, metres; TurnDeg the amplitude of
	// the slow turning, degrees.
	Speed, Sway, TurnDeg float64
}

// defaultScanLidar is the virtual LiDAR of scan scenes: a VLP-16 at 0.75 m
// with 2 cm range noise, driving forth and back over 1.6 m at up to 3 cm
// per frame, swaying ±0.4 m and turning ±20°.
func defaultScanLidar() scanLidar {
	return scanLidar{Columns: 1800, TolDeg: 0.6, Occlude: 0.3, Height: 0.75, MinRange: 0.9, MaxRange: 100,
		RangeNoise: 0.02, Speed: 0.03, Sway: 0.4, TurnDeg: 20}
}

// maxScanPoints bounds the points read from a scan file.
const maxScanPoints = 5_000_000

// ErrScanFormat is wrapped for a scan file that cannot be read.
var ErrScanFormat = errors.New("scenes: bad scan file")

type vec3 struct{ x, y, z float64 }

// parseScan reads a 3-D point scan in octomap's text format: one
// "x y z" point per line (metres); a "NODE x y z roll pitch yaw" line
// places the points after it (a scan graph), which are then in that
// node's frame. Empty lines and lines starting with '#' are skipped.
func parseScan(r io.Reader) ([]vec3, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<16)
	var (
		pts  []vec3
		rot  = [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}
		orig vec3
		line int
	)
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if f[0] == "NODE" {
			v, err := floats(f[1:], 6)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrScanFormat, line, err)
			}
			orig, rot = vec3{v[0], v[1], v[2]}, rpy(v[3], v[4], v[5])
			continue
		}
		v, err := floats(f, 3)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrScanFormat, line, err)
		}
		if len(pts) == maxScanPoints {
			return nil, fmt.Errorf("%w: more than %d points", ErrScanFormat, maxScanPoints)
		}
		pts = append(pts, vec3{
			orig.x + rot[0]*v[0] + rot[1]*v[1] + rot[2]*v[2],
			orig.y + rot[3]*v[0] + rot[4]*v[1] + rot[5]*v[2],
			orig.z + rot[6]*v[0] + rot[7]*v[1] + rot[8]*v[2],
		})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %v", ErrScanFormat, line+1, err)
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("%w: no points", ErrScanFormat)
	}
	return pts, nil
}

// floats parses exactly n finite numbers.
func floats(f []string, n int) ([]float64, error) {
	if len(f) != n {
		return nil, fmt.Errorf("%d fields, want %d", len(f), n)
	}
	v := make([]float64, n)
	for i, s := range f {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e6 {
			return nil, fmt.Errorf("field %d: %q is not a coordinate", i+1, s)
		}
		v[i] = x
	}
	return v, nil
}

// rpy is the rotation matrix (row major) of roll, pitch, yaw in radians:
// Rz(yaw)·Ry(pitch)·Rx(roll), as octomap's pose6d.
func rpy(roll, pitch, yaw float64) [9]float64 {
	cr, sr := math.Cos(roll), math.Sin(roll)
	cp, sp := math.Cos(pitch), math.Sin(pitch)
	cy, sy := math.Cos(yaw), math.Sin(yaw)
	return [9]float64{
		cy * cp, cy*sp*sr - sy*cr, cy*sp*cr + sy*sr,
		sy * cp, sy*sp*sr + cy*cr, sy*sp*cr - cy*sr,
		-sp, cp * sr, cp * cr,
	}
}

// loadScan reads a scan file, bzip2-compressed when its name ends in .bz2.
func loadScan(path string) ([]vec3, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenes: %w", err)
	}
	var r io.Reader = bytes.NewReader(b)
	if strings.HasSuffix(path, ".bz2") {
		r = bzip2.NewReader(r)
	}
	pts, err := parseScan(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pts, nil
}

// scanPose is where the virtual LiDAR is at one frame.
type scanPose struct{ x, y, yaw float64 }

type scanPath struct {
	amp, sway, turn float64
	wx, wy, wt      float64
	px, py, pt      float64
}

func newScanPath(l scanLidar, seed uint64) scanPath {
	r := rand.New(rand.NewPCG(seed, 0x5ca9))
	phase := func() float64 { return 2 * math.Pi * r.Float64() }
	p := scanPath{amp: 0.8, sway: l.Sway, turn: l.TurnDeg * math.Pi / 180}
	p.wx = l.Speed / p.amp // peak speed amp·wx
	p.wy = p.wx * (0.5 + 0.2*r.Float64())
	p.wt = 2 * math.Pi / (250 + 100*r.Float64())
	p.px, p.py, p.pt = phase(), phase(), phase()
	return p
}

// at is the pose at frame i: forth and back along x over [0, 2·amp],
// swaying along y, turning about the forward direction.
func (p *scanPath) at(i int) scanPose {
	t := float64(i)
	return scanPose{
		x:   p.amp * (1 - math.Cos(p.wx*t+p.px)),
		y:   p.sway * math.Sin(p.wy*t+p.py),
		yaw: p.turn * math.Sin(p.wt*t+p.pt),
	}
}

// reflectivity is a point's surface reflectivity on the [0, 1] scale:
// smooth 3-D value noise over 0.7 m, in the 0.05–0.40 range of diffuse
// surfaces a VLP-16 reports.
func reflectivity(p vec3) float32 {
	return float32(0.05 + 0.35*valueNoise3(p.x/0.7, p.y/0.7, p.z/0.7))
}

// valueNoise3 is smooth lattice noise in [0, 1) with unit cells.
func valueNoise3(x, y, z float64) float64 {
	x0, y0, z0 := math.Floor(x), math.Floor(y), math.Floor(z)
	fx, fy, fz := smooth(x-x0), smooth(y-y0), smooth(z-z0)
	ix, iy, iz := int64(x0), int64(y0), int64(z0)
	lerp := func(a, b, t float64) float64 { return a + (b-a)*t }
	c := func(dx, dy, dz int64) float64 { return hash3(ix+dx, iy+dy, iz+dz) }
	return lerp(
		lerp(lerp(c(0, 0, 0), c(1, 0, 0), fx), lerp(c(0, 1, 0), c(1, 1, 0), fx), fy),
		lerp(lerp(c(0, 0, 1), c(1, 0, 1), fx), lerp(c(0, 1, 1), c(1, 1, 1), fx), fy), fz)
}

func smooth(t float64) float64 { return t * t * (3 - 2*t) }

// hash3 maps a lattice point to [0, 1).
func hash3(x, y, z int64) float64 {
	h := uint64(x)*0x9e3779b97f4a7c15 ^ uint64(y)*0xc2b2ae3d27d4eb4f ^ uint64(z)*0x165667b19e3779f9
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return float64(h>>11) / (1 << 53)
}

// cell is the best point for one ray so far.
type cell struct {
	r, d2 float64 // range, squared angular distance (degrees²)
	pt    int32   // scan point + 1; 0: none
}

// rays are the virtual VLP-16's ray directions, for look: the lasers in
// elevation order (slot j at −15°+2j°) and the columns' azimuths.
type rays struct {
	laser          [velodyne.Lasers]int     // laser id of slot j
	tanLo, tanHi   [velodyne.Lasers]float64 // tan of slot j's elevation ∓ the tolerance
	sinE, cosE     [velodyne.Lasers]float64 // of slot j's elevation
	sinA, cosA     []float64                // by column
	step, tolDeg   float64                  // degrees
	span, columns  int
	minR2, maxR2   float64
	occlude, noise float64
}

func (l scanLidar) rays() *rays {
	rs := &rays{step: 360 / float64(l.Columns), tolDeg: l.TolDeg, columns: l.Columns,
		minR2: l.MinRange * l.MinRange, maxR2: l.MaxRange * l.MaxRange, occlude: l.Occlude, noise: l.RangeNoise}
	rs.span = int(math.Ceil(l.TolDeg / rs.step))
	for j := range rs.laser {
		e := float64(2*j - 15)
		rs.laser[j] = velodyne.NearestLaser(e)
		rs.tanLo[j] = math.Tan((e - l.TolDeg) * math.Pi / 180)
		rs.tanHi[j] = math.Tan((e + l.TolDeg) * math.Pi / 180)
		rs.sinE[j], rs.cosE[j] = math.Sincos(e * math.Pi / 180)
	}
	for c := 0; c < l.Columns; c++ {
		s, co := math.Sincos(float64(c) * rs.step * math.Pi / 180)
		rs.sinA, rs.cosA = append(rs.sinA, s), append(rs.cosA, co)
	}
	return rs
}

// look renders one revolution of the virtual LiDAR at pose p, the sensor
// h metres above the scan's origin: the returns in firing order (column by
// column, lasers 0–15 within a column).
func (rs *rays) look(pts []vec3, refl []float32, p scanPose, h float64, r *rand.Rand) []sensors.Point {
	const lasers = velodyne.Lasers
	cols := rs.columns
	img := make([]cell, cols*lasers) // by column, then elevation slot
	cy, sy := math.Cos(p.yaw), math.Sin(p.yaw)
	for k, q := range pts {
		dx, dy, dz := q.x-p.x, q.y-p.y, q.z-h
		fwd, right := dx*cy+dy*sy, dx*sy-dy*cy
		h2 := fwd*fwd + right*right
		r2 := h2 + dz*dz
		if r2 < rs.minR2 || r2 > rs.maxR2 || h2 == 0 {
			continue
		}
		// the elevation slot, by the tangent: no arctangent for the
		// points between the lasers' bands
		t := dz / math.Sqrt(h2)
		j := 0
		for j < lasers-1 && t > rs.tanHi[j] {
			j++
		}
		if t < rs.tanLo[j] || t > rs.tanHi[j] {
			continue
		}
		de := math.Atan(t)*180/math.Pi - float64(2*j-15)
		rng := math.Sqrt(r2)
		az := math.Atan2(right, fwd) * 180 / math.Pi
		if az < 0 {
			az += 360
		}
		c0 := int(math.Round(az / rs.step))
		for c := c0 - rs.span; c <= c0+rs.span; c++ {
			da := az - float64(c)*rs.step
			if math.Abs(da) > rs.tolDeg {
				continue
			}
			cc := c
			if cc < 0 {
				cc += cols
			} else if cc >= cols {
				cc -= cols
			}
			e := &img[cc*lasers+j]
			d2 := da*da + de*de
			switch {
			case e.pt == 0, rng < e.r-rs.occlude, d2 < e.d2 && rng <= e.r+rs.occlude:
				*e = cell{r: rng, d2: d2, pt: int32(k + 1)}
			}
		}
	}
	out := make([]sensors.Point, 0, len(img)/2)
	for c := 0; c < cols; c++ {
		for ring := 0; ring < lasers; ring++ { // firing order
			j := (velodyne.ElevationDeg(ring) + 15) / 2
			e := img[c*lasers+int(j)]
			if e.pt == 0 {
				continue
			}
			rng := e.r + rs.noise*r.NormFloat64()
			if rng*rng < rs.minR2 {
				continue
			}
			in := refl[e.pt-1] * float32(0.9+0.2*r.Float64())
			ce := rng * rs.cosE[int(j)]
			out = append(out, sensors.Point{
				X: float32(ce * rs.sinA[c]), Y: float32(ce * rs.cosA[c]), Z: float32(rng * rs.sinE[int(j)]),
				Intensity: min(in, 1), Range: float32(rng), Azimuth: float32(float64(c) * rs.step * math.Pi / 180), Ring: uint16(ring),
			})
		}
	}
	return out
}

// pointScan is a scan ready for look: its points in azimuth order seen
// from the origin (so the range image is written almost in order, with
// few cache misses) and their reflectivities.
type pointScan struct {
	pts  []vec3
	refl []float32
}

func loadPointScan(path string) (*pointScan, error) {
	pts, err := loadScan(path)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(pts, func(a, b vec3) int { return cmp.Compare(math.Atan2(a.x, a.y), math.Atan2(b.x, b.y)) })
	refl := make([]float32, len(pts))
	for i, p := range pts {
		refl[i] = reflectivity(p)
	}
	return &pointScan{pts: pts, refl: refl}, nil
}

// scanFrames makes the frames of a scan scene.
func scanFrames(ctx context.Context, s Scene, o DriveOptions) ([]sensors.Frame, error) {
	v, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	pts, refl := v.(*pointScan).pts, v.(*pointScan).refl
	seed := o.Seed
	if seed == 0 {
		seed = 1
	}
	l := defaultScanLidar()
	path := newScanPath(l, seed)
	rs := l.rays()
	return generate(ctx, o.Frames, func(k int) (sensors.Frame, error) {
		i := o.Start + k
		r := rand.New(rand.NewPCG(seed^0x5ca11, uint64(i)))
		return asFile(rs.look(pts, refl, path.at(i), l.Height, r))
	})
}
