package sensortest

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// vlp16Elevations are the VLP-16 laser elevations in degrees, indexed by
// laser id (VLP-16 user manual, table 9-1: ids alternate below and above
// the horizon).
var vlp16Elevations = [16]float32{-15, 1, -13, 3, -11, 5, -9, 7, -7, 9, -5, 11, -3, 13, -1, 15}

// VLP-16 firing timing (user manual, section 9.5): one firing sequence of
// all 16 lasers every 55.296 µs, lasers 2.304 µs apart.
const (
	vlp16SequenceUS = 55.296
	vlp16LaserUS    = 2.304
)

// VLP16Elevations returns the VLP-16 ring elevations in radians, indexed by
// laser id.
func VLP16Elevations() []float32 {
	out := make([]float32, len(vlp16Elevations))
	for i, d := range vlp16Elevations {
		out[i] = d * math.Pi / 180
	}
	return out
}

// Room is a synthetic scene: a box-shaped room around a VLP-16-like sensor.
// The zero value takes the defaults noted on each field.
type Room struct {
	HalfX, HalfY float32 // metres from the sensor to the side walls (default 8) and end walls (default 5)
	Height       float32 // sensor height above the floor, metres (default 0.8)
	Ceiling      float32 // ceiling height above the floor, metres (default 3)
	Columns      int     // firing sequences per revolution (default 1800, i.e. 0.2° at 600 rpm)
	Noise        float32 // standard deviation of Gaussian range noise, metres (default 0)
	Seed         uint64  // noise seed; each seq draws its own stream
}

func (r Room) withDefaults() Room {
	if r.HalfX <= 0 {
		r.HalfX = 8
	}
	if r.HalfY <= 0 {
		r.HalfY = 5
	}
	if r.Height <= 0 {
		r.Height = 0.8
	}
	if r.Ceiling <= r.Height {
		r.Ceiling = r.Height + 2.2
	}
	if r.Columns <= 0 {
		r.Columns = 1800
	}
	return r
}

// VLP16Scan returns one revolution of a VLP-16-like sensor in the default
// Room: 1,800 × 16 points, all with a return.
func VLP16Scan(name string, seq uint64, stamp time.Time) *sensors.Scan {
	return Room{}.Scan(name, seq, stamp)
}

// Scan renders one revolution. Points are in firing order (column, then
// laser id), azimuth clockwise from +y, ranges rounded to the VLP-16's 2 mm
// resolution, intensity 0.1 for the floor, 0.4 for walls, 0.2 for the
// ceiling.
func (r Room) Scan(name string, seq uint64, stamp time.Time) *sensors.Scan {
	r = r.withDefaults()
	rng := rand.New(rand.NewPCG(r.Seed, seq))
	elev := VLP16Elevations()
	s := &sensors.Scan{
		Header:         sensors.Header{Sensor: name, Seq: seq, Stamp: stamp, Received: stamp},
		Rings:          16,
		RingElevations: elev,
		Points:         make([]sensors.Point, 0, r.Columns*16),
	}
	for c := 0; c < r.Columns; c++ {
		az := 2 * math.Pi * float64(c) / float64(r.Columns)
		sa, ca := math.Sincos(az)
		for l := 0; l < 16; l++ {
			se, ce := math.Sincos(float64(elev[l]))
			dx, dy, dz := ce*sa, ce*ca, se
			t, inten := r.hit(dx, dy, dz)
			if r.Noise > 0 {
				t += rng.NormFloat64() * float64(r.Noise)
			}
			t = math.Round(t/0.002) * 0.002
			if t < 0 {
				t = 0
			}
			s.Points = append(s.Points, sensors.Point{
				X: float32(t * dx), Y: float32(t * dy), Z: float32(t * dz),
				Intensity: inten,
				Range:     float32(t),
				Azimuth:   float32(az),
				Ring:      uint16(l),
				Offset:    int32(math.Round(float64(c)*vlp16SequenceUS + float64(l)*vlp16LaserUS)),
			})
		}
	}
	return s
}

// hit is the distance along unit direction (dx, dy, dz) to the first
// surface of the room, and that surface's intensity.
func (r Room) hit(dx, dy, dz float64) (float64, float32) {
	best, inten := math.Inf(1), float32(0)
	try := func(t float64, i float32) {
		if t > 0 && t < best {
			best, inten = t, i
		}
	}
	if dx != 0 {
		try(float64(r.HalfX)/math.Abs(dx), 0.4)
	}
	if dy != 0 {
		try(float64(r.HalfY)/math.Abs(dy), 0.4)
	}
	if dz < 0 {
		try(float64(r.Height)/-dz, 0.1)
	} else if dz > 0 {
		try(float64(r.Ceiling-r.Height)/dz, 0.2)
	}
	return best, inten
}

// GrayImage returns a w×h Gray8 test image: a horizontal gradient with a
// bright square, an eighth of the width on a side, that moves one square
// width to the right per seq (wrapping), so consecutive frames differ.
func GrayImage(name string, seq uint64, stamp time.Time, w, h int) *sensors.Image {
	if w <= 0 || h <= 0 {
		w, h = 1, 1
	}
	im := &sensors.Image{
		Header: sensors.Header{Sensor: name, Seq: seq, Stamp: stamp, Received: stamp},
		Width:  w, Height: h, Stride: w, Format: sensors.Gray8,
		Pix: make([]byte, w*h),
	}
	side := max(w/8, 1)
	x0 := int(seq%uint64(max(w/side, 1))) * side
	y0 := (h - side) / 2
	for y := 0; y < h; y++ {
		row := im.Pix[y*w : (y+1)*w]
		for x := range row {
			row[x] = uint8(32 + 128*x/w)
			if x >= x0 && x < x0+side && y >= y0 && y < y0+side {
				row[x] = 240
			}
		}
	}
	return im
}

// RangeReading returns a single-beam reading of d metres at full strength,
// with no temperature.
func RangeReading(name string, seq uint64, stamp time.Time, d float32) *sensors.Range {
	return &sensors.Range{
		Header:   sensors.Header{Sensor: name, Seq: seq, Stamp: stamp, Received: stamp},
		Distance: d,
		Strength: 1,
		TempC:    float32(math.NaN()),
	}
}

// Series builds n frames with mk, stamped start, start+period, …, with Seq
// 1…n.
func Series(n int, start time.Time, period time.Duration, mk func(seq uint64, stamp time.Time) sensors.Frame) []sensors.Frame {
	out := make([]sensors.Frame, n)
	for i := range out {
		out[i] = mk(uint64(i+1), start.Add(time.Duration(i)*period))
	}
	return out
}
