package synth

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// VLP16Elevations are the VLP-16 laser elevations, radians, by laser id.
func VLP16Elevations() []float32 {
	deg := []float64{-15, 1, -13, 3, -11, 5, -9, 7, -7, 9, -5, 11, -3, 13, -1, 15}
	e := make([]float32, 16)
	for i, d := range deg {
		e[i] = float32(d * math.Pi / 180)
	}
	return e
}

// Scan returns frame i of the corridor drive with cols azimuth steps.
// withRings false leaves Rings 0 and RingElevations nil (as KITTI files).
func Scan(i, cols int, seed uint64, withRings bool) *sensors.Scan {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	t := float64(i) * 0.1
	halfW := 4 + 0.8*math.Sin(t*0.3)                   // corridor half width
	far := 30 + 10*math.Sin(t*0.17)                    // end wall
	bx, by := 1.5*math.Sin(t*0.5), 8+3*math.Cos(t*0.4) // moving box centre
	const h = 1.8
	el := VLP16Elevations()
	s := &sensors.Scan{
		Header: sensors.Header{Sensor: "lidar0", Seq: uint64(i), Stamp: time.Unix(0, 0).Add(time.Duration(i) * 100 * time.Millisecond)},
		Points: make([]sensors.Point, 0, 16*cols),
	}
	if withRings {
		s.Rings, s.RingElevations = 16, el
	}
	for c := 0; c < cols; c++ {
		az := 2 * math.Pi * (float64(c) + 0.5) / float64(cols)
		for ring := 0; ring < 16; ring++ {
			w := float64(el[ring])
			dx, dy, dz := math.Cos(w)*math.Sin(az), math.Cos(w)*math.Cos(az), math.Sin(w)
			best, inten := math.Inf(1), 0.0
			if dz < 0 {
				if tt := -h / dz; tt < best {
					best, inten = tt, 0.15+0.05*math.Sin(tt)
				}
			}
			if dx != 0 {
				if tt := halfW / math.Abs(dx); tt < best {
					best, inten = tt, 0.45
				}
			}
			if dy > 0 {
				if tt := far / dy; tt < best {
					best, inten = tt, 0.6
				}
			}
			if dy < 0 {
				if tt := -12 / dy; tt < best {
					best, inten = tt, 0.5
				}
			}
			// Box 1 m wide, 1.5 m tall: slab test in x, y.
			if tb := slab(dx, dy, bx-0.5, bx+0.5, by-0.5, by+0.5); tb < best && dz*tb+h < 1.5+h && dz*tb > -h {
				best, inten = tb, 0.8
			}
			p := sensors.Point{Ring: uint16(ring), Azimuth: float32(az)}
			if best < 100 {
				r := best + rng.NormFloat64()*0.01
				p.X, p.Y, p.Z = float32(r*dx), float32(r*dy), float32(r*dz)
				p.Range = float32(r)
				p.Intensity = float32(math.Min(1, math.Max(0, inten+rng.NormFloat64()*0.02)))
			}
			if !withRings {
				p.Ring = 0
			}
			s.Points = append(s.Points, p)
		}
	}
	return s
}

func slab(dx, dy, x0, x1, y0, y1 float64) float64 {
	tmin, tmax := 0.0, math.Inf(1)
	for _, ax := range [][3]float64{{dx, x0, x1}, {dy, y0, y1}} {
		d, lo, hi := ax[0], ax[1], ax[2]
		if d == 0 {
			if 0 < lo || 0 > hi {
				return math.Inf(1)
			}
			continue
		}
		a, b := lo/d, hi/d
		if a > b {
			a, b = b, a
		}
		tmin, tmax = math.Max(tmin, a), math.Min(tmax, b)
	}
	if tmin > tmax || tmin <= 0 {
		return math.Inf(1)
	}
	return tmin
}

// Image returns frame i of the camera scene, w × h Gray8.
func Image(i, w, h int, seed uint64) *sensors.Image {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	t := float64(i) * 0.1
	im := &sensors.Image{
		Header: sensors.Header{Sensor: "cam0", Seq: uint64(i), Stamp: time.Unix(0, 0).Add(time.Duration(i) * 100 * time.Millisecond)},
		Width:  w, Height: h, Stride: w, Format: sensors.Gray8, Pix: make([]byte, w*h),
	}
	sx := float64(w) * (0.5 + 0.3*math.Sin(t*0.7))
	sy := float64(h) * (0.5 + 0.2*math.Cos(t*0.5))
	side := float64(w) * 0.15
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 60 + 100*float64(y)/float64(h) + 20*math.Sin(float64(x)*0.2+t)*math.Cos(float64(y)*0.15)
			if math.Abs(float64(x)-sx) < side && math.Abs(float64(y)-sy) < side {
				v = 200 - 30*float64((x/4+y/4)%2)
			}
			v += rng.NormFloat64() * 2
			im.Pix[y*w+x] = uint8(math.Max(0, math.Min(255, math.Round(v))))
		}
	}
	return im
}

// Frames returns n scans or images as frames.
func Frames(kind sensors.Kind, n int, seed uint64) []sensors.Frame {
	out := make([]sensors.Frame, n)
	for i := range out {
		if kind == sensors.KindLidar {
			out[i] = Scan(i, 360, seed, true)
		} else {
			out[i] = Image(i, 64, 48, seed)
		}
	}
	return out
}
