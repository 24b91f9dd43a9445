package features

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sensortrust/trustagent/likelihood/internal/synth"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// sameBits reports the first statistic whose bits differ, or -1.
func sameBits(a, b []float64) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

// cameraStreams are image sequences that reach every branch of the camera
// statistics: the simulator at several sizes, RGB, saturated and noise
// images, images smaller than the Laplacian margin, a padded stride, a
// frozen frame and a size change in mid-stream.
func cameraStreams(t *testing.T) [][]*sensors.Image {
	t.Helper()
	var out [][]*sensors.Image
	for _, sz := range [][2]int{{320, 240}, {640, 480}, {161, 97}} {
		w, err := sim.NewWorld(sim.DefaultWorldOptions())
		if err != nil {
			t.Fatal(err)
		}
		c, err := sim.NewCamera(w, sim.CameraOptions{Width: sz[0], Height: sz[1]})
		if err != nil {
			t.Fatal(err)
		}
		var s []*sensors.Image
		for i := range 4 {
			s = append(s, c.Frame(uint64(40*i)).(*sensors.Image))
		}
		s = append(s, s[len(s)-1]) // frozen
		out = append(out, s)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	noise := func(w, h, stride int, f sensors.PixelFormat, lo, hi int) *sensors.Image {
		bpp := f.BytesPerPixel()
		im := &sensors.Image{Width: w, Height: h, Stride: stride, Format: f, Pix: make([]byte, (h-1)*stride+w*bpp)}
		for i := range im.Pix {
			im.Pix[i] = byte(lo + rng.IntN(hi-lo+1))
		}
		return im
	}
	var mixed []*sensors.Image
	for i := range 3 {
		mixed = append(mixed, synth.Image(i, 64, 48, 1))
	}
	mixed = append(mixed,
		noise(64, 48, 64, sensors.Gray8, 0, 255),
		noise(64, 48, 64, sensors.Gray8, 0, 6),
		noise(64, 48, 64, sensors.Gray8, 249, 255),
		noise(64, 48, 70, sensors.Gray8, 0, 255),
		noise(64, 48, 3*64+5, sensors.RGB24, 0, 255),
		noise(64, 48, 3*64, sensors.RGB24, 0, 255),
		noise(320, 240, 3*320, sensors.RGB24, 0, 255),
		noise(320, 240, 3*320, sensors.RGB24, 0, 255),
		noise(1280, 720, 3*1280+1, sensors.RGB24, 0, 255),
		noise(9, 9, 9, sensors.Gray8, 0, 255),
		noise(16, 3, 16, sensors.Gray8, 0, 255),
		noise(1, 1, 1, sensors.Gray8, 0, 255),
		noise(300, 2, 300, sensors.Gray8, 0, 255),
		noise(3, 32768, 3, sensors.Gray8, 0, 255),
		noise(32768, 5, 32768, sensors.Gray8, 0, 255),
		noise(700, 500, 700, sensors.Gray8, 0, 255),
		noise(700, 500, 700, sensors.Gray8, 0, 255),
	)
	return append(out, mixed)
}

func TestCameraMatchesReference(t *testing.T) {
	for si, s := range cameraStreams(t) {
		var got CameraExtractor
		var want refCamera
		for i, im := range s {
			a, errA := got.Next(nil, im)
			b, errB := want.Next(nil, im)
			if (errA == nil) != (errB == nil) {
				t.Fatalf("stream %d frame %d: errors %v, reference %v", si, i, errA, errB)
			}
			if k := sameBits(a, b); k >= 0 {
				t.Fatalf("stream %d frame %d (%d×%d): %s = %v, reference %v", si, i, im.Width, im.Height, cameraNames[k], a[k], b[k])
			}
		}
	}
}

// lidarStreams are scan sequences: the simulator (rings numbered, with and
// without no-return points), synthetic scans without ring numbers, scans
// with unusable points, an empty scan and a repeated scan.
func lidarStreams(t *testing.T) [][]*sensors.Scan {
	t.Helper()
	var out [][]*sensors.Scan
	for _, drop := range []bool{false, true} {
		w, err := sim.NewWorld(sim.DefaultWorldOptions())
		if err != nil {
			t.Fatal(err)
		}
		l, err := sim.NewLidar(w, sim.LidarOptions{DropNoReturn: drop})
		if err != nil {
			t.Fatal(err)
		}
		var s []*sensors.Scan
		for i := range 4 {
			s = append(s, l.Frame(uint64(20*i)).(*sensors.Scan))
		}
		s = append(s, s[len(s)-1]) // frozen
		out = append(out, s)
	}
	var mixed []*sensors.Scan
	for i := range 3 {
		mixed = append(mixed, synth.Scan(i, 360, 1, i != 1))
	}
	bad := *synth.Scan(4, 360, 1, true)
	bad.Points = append([]sensors.Point(nil), bad.Points...)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range bad.Points {
		p := &bad.Points[i]
		switch rng.IntN(12) {
		case 0:
			p.Range = float32(math.NaN())
		case 1:
			p.Azimuth = float32(-7 + 20*rng.Float64())
		case 2:
			p.Intensity = float32(3 * (rng.Float64() - 0.5))
		case 3:
			p.Z = float32(math.Inf(1))
		case 4:
			p.Range = 2e4
		case 5:
			p.Ring = 200
		}
	}
	mixed = append(mixed, &bad, &sensors.Scan{}, synth.Scan(5, 90, 2, false), synth.Scan(5, 90, 2, false))
	return append(out, mixed)
}

func TestLidarMatchesReference(t *testing.T) {
	for si, s := range lidarStreams(t) {
		var got LidarExtractor
		var want refLidar
		for i, sc := range s {
			a := got.Next(nil, sc)
			b := want.Next(nil, sc)
			if k := sameBits(a, b); k >= 0 {
				t.Fatalf("stream %d scan %d: %s = %v, reference %v", si, i, lidarNames[k], a[k], b[k])
			}
		}
	}
}

// FuzzLidarMatchesReference: scans made of arbitrary points (every field
// any bit pattern, 26 bytes a point), numbered rings or not, after a
// simulated scan, give the reference's statistics bit for bit.
func FuzzLidarMatchesReference(f *testing.F) {
	point := func(x, y, z, in, r, az float32, ring uint16) []byte {
		var b []byte
		for _, v := range []float32{x, y, z, in, r, az} {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return binary.LittleEndian.AppendUint16(b, ring)
	}
	f.Add(uint8(16), append(point(1, 2, 0.5, 0.3, 2.3, 1, 3), point(-1, 2, -0.5, 1.5, 2.3, 6.2, 15)...))
	f.Add(uint8(0), append(point(1, 2, 0.5, float32(math.NaN()), 2.3, -1, 3), point(0, 0, 20, -0.0, 1e4, 7, 40)...))
	f.Add(uint8(4), point(3, 4, 0, 0.0199, 5, float32(2*math.Pi), 2))
	w, err := sim.NewWorld(sim.DefaultWorldOptions())
	if err != nil {
		f.Fatal(err)
	}
	l, err := sim.NewLidar(w, sim.LidarOptions{})
	if err != nil {
		f.Fatal(err)
	}
	first := l.Frame(0).(*sensors.Scan)
	f.Fuzz(func(t *testing.T, rings uint8, data []byte) {
		s := &sensors.Scan{Rings: int(rings)}
		for ; len(data) >= 26; data = data[26:] {
			var v [6]float32
			for k := range v {
				v[k] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*k:]))
			}
			s.Points = append(s.Points, sensors.Point{X: v[0], Y: v[1], Z: v[2], Intensity: v[3], Range: v[4], Azimuth: v[5],
				Ring: binary.LittleEndian.Uint16(data[24:])})
		}
		var got LidarExtractor
		var want refLidar
		for i, sc := range []*sensors.Scan{first, s, s} {
			a := got.Next(nil, sc)
			b := want.Next(nil, sc)
			if k := sameBits(a, b); k >= 0 {
				t.Fatalf("scan %d: %s = %v, reference %v", i, lidarNames[k], a[k], b[k])
			}
		}
	})
}
