package scenes

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/sensors/velodyne"
)

// corners are the photograph coordinates of the frame's corners under a pose.
func corners(p pose, w, h int) [4][2]float64 {
	var c [4][2]float64
	for k, d := range [4][2]float64{{-1, -1}, {1, -1}, {-1, 1}, {1, 1}} {
		du, dv := d[0]*float64(w)/2*p.scale, d[1]*float64(h)/2*p.scale
		c[k] = [2]float64{p.cx + math.Cos(p.roll)*du - math.Sin(p.roll)*dv, p.cy + math.Sin(p.roll)*du + math.Cos(p.roll)*dv}
	}
	return c
}

// TestStillPath checks the virtual camera over photographs of several
// shapes: the window never leaves the photograph, consecutive frames move
// by at most about two frame pixels, and over a long drive it does move.
func TestStillPath(t *testing.T) {
	cam := defaultStillCamera()
	for _, sz := range [][2]int{{512, 512}, {1024, 300}, {300, 900}, {64, 48}, {768, 576}} {
		for seed := uint64(1); seed <= 4; seed++ {
			path := newStillPath(cam, sz[0], sz[1], 320, 240, seed)
			prev := path.at(0)
			var travel float64
			for i := 0; i < 3000; i++ {
				p := path.at(i)
				for _, c := range corners(p, 320, 240) {
					if c[0] < 0 || c[1] < 0 || c[0] > float64(sz[0]) || c[1] > float64(sz[1]) {
						t.Fatalf("%v seed %d frame %d: corner %v outside the photograph", sz, seed, i, c)
					}
				}
				pc, cc := corners(prev, 320, 240), corners(p, 320, 240)
				for k := range cc {
					if d := math.Hypot(cc[k][0]-pc[k][0], cc[k][1]-pc[k][1]) / p.scale; d > 2.2 {
						t.Fatalf("%v seed %d frame %d: a corner moved %.2f frame pixels", sz, seed, i, d)
					}
				}
				if p.gain < cam.Exposure*(1-cam.ExposureSwing)-1e-9 || p.gain > cam.Exposure*(1+cam.ExposureSwing)+1e-9 {
					t.Fatalf("%v seed %d frame %d: gain %v", sz, seed, i, p.gain)
				}
				travel += math.Hypot(p.cx-prev.cx, p.cy-prev.cy) / p.scale
				prev = p
			}
			if travel < 300 {
				t.Errorf("%v seed %d: the window travelled %.0f frame pixels in 3,000 frames", sz, seed, travel)
			}
		}
	}
}

// TestStillNoise renders a flat photograph and compares the spread of the
// codes with the noise model's: σ_lin² = v/FullWell + ReadNoise², carried
// through the 1/2.2 power (σ_code ≈ 255·v^(1/2.2−1)/2.2·σ_lin).
func TestStillNoise(t *testing.T) {
	cam := defaultStillCamera()
	gamma := gammaTable()
	for _, v := range []float64{0.05, 0.2, 0.6} {
		s := &still{w: 64, h: 64, lin: make([]float32, 64*64)}
		for i := range s.lin {
			s.lin[i] = float32(v)
		}
		im := s.render(pose{cx: 32, cy: 32, scale: 0.1, gain: 1}, cam, 200, 200, gamma, rand.New(rand.NewPCG(1, 2)))
		var sum, sum2 float64
		for _, c := range im.Pix {
			sum, sum2 = sum+float64(c), sum2+float64(c)*float64(c)
		}
		n := float64(len(im.Pix))
		mean, std := sum/n, math.Sqrt(sum2/n-(sum/n)*(sum/n))
		wantMean := 255 * math.Pow(v, 1/2.2)
		wantStd := 255 * math.Pow(v, 1/2.2-1) / 2.2 * math.Sqrt(v/cam.FullWell+cam.ReadNoise*cam.ReadNoise)
		if math.Abs(mean-wantMean) > 0.5 || math.Abs(std-wantStd) > 0.1*wantStd {
			t.Errorf("linear %v: codes %.2f ± %.2f, want %.2f ± %.2f (10 %%)", v, mean, std, wantMean, wantStd)
		}
	}
}

func TestBilinear(t *testing.T) {
	// a ramp: bilinear sampling is exact on it, and clamps at the border
	s := &still{w: 4, h: 3, lin: make([]float32, 12)}
	for y := 0; y < 3; y++ {
		for x := 0; x < 4; x++ {
			s.lin[y*4+x] = float32(x + 10*y)
		}
	}
	for _, tc := range [][3]float64{{0, 0, 0}, {1.5, 0, 1.5}, {2.25, 1.5, 17.25}, {3, 2, 23}, {-1, -1, 0}, {9, 9, 23}} {
		if got := s.bilinear(tc[0], tc[1]); math.Abs(got-tc[2]) > 1e-6 {
			t.Errorf("bilinear(%v, %v) = %v, want %v", tc[0], tc[1], got, tc[2])
		}
	}
}

func TestPingPong(t *testing.T) {
	var got []int
	for i := 0; i < 10; i++ {
		got = append(got, pingPong(i, 4))
	}
	want := []int{0, 1, 2, 3, 2, 1, 0, 1, 2, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pingPong(·, 4) = %v, want %v", got, want)
		}
	}
}

func TestParseScan(t *testing.T) {
	in := "# a scan graph\n1 2 3\n\nNODE 10 0 0 0 0 1.5707963267948966\n1 0 0.5\n"
	pts, err := parseScan(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []vec3{{1, 2, 3}, {10, 1, 0.5}}
	if len(pts) != len(want) {
		t.Fatalf("%d points, want %d", len(pts), len(want))
	}
	for i := range want {
		if math.Abs(pts[i].x-want[i].x)+math.Abs(pts[i].y-want[i].y)+math.Abs(pts[i].z-want[i].z) > 1e-9 {
			t.Errorf("point %d: %+v, want %+v", i, pts[i], want[i])
		}
	}
	for _, bad := range []string{"", "1 2\n", "1 2 x\n", "1 2 3 4\n", "NODE 1 2 3\n", "1 NaN 3\n", "1e9 0 0\n", strings.Repeat("9", 70000)} {
		if _, err := parseScan(strings.NewReader(bad)); !errors.Is(err, ErrScanFormat) {
			t.Errorf("%.20q: %v, want ErrScanFormat", bad, err)
		}
	}
}

func FuzzParseScan(f *testing.F) {
	f.Add([]byte("1 2 3\nNODE 0 0 0 0 0 0\n4 5 6\n"))
	f.Add([]byte("# x\n\n-0.1 2e-3 7\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pts, err := parseScan(bytes.NewReader(b))
		if err == nil && len(pts) == 0 {
			t.Fatal("no error and no points")
		}
		for _, p := range pts {
			if math.IsNaN(p.x+p.y+p.z) || math.IsInf(p.x+p.y+p.z, 0) {
				t.Fatalf("non-finite point %+v", p)
			}
		}
	})
}

// wall returns points every 2 cm on the vertical rectangle y = dist,
// x ∈ [x0, x1], z ∈ [z0, z1].
func wall(dist, x0, x1, z0, z1 float64) []vec3 {
	var pts []vec3
	for x := x0; x <= x1; x += 0.02 {
		for z := z0; z <= z1; z += 0.02 {
			pts = append(pts, vec3{x, dist, z})
		}
	}
	return pts
}

// TestLookWall: a virtual VLP-16 facing a wall 5 m ahead (yaw 90°: the
// world's +y) sees it at 5 m within noise and tolerance, on the rings and
// azimuths that point at it, and a panel 2 m ahead hides the wall behind it.
func TestLookWall(t *testing.T) {
	l := defaultScanLidar()
	l.Height = 0
	pts := append(wall(5, -3, 3, -1.2, 1.2), wall(2, -0.3, 0.3, -0.3, 0.3)...)
	refl := make([]float32, len(pts))
	for i := range refl {
		refl[i] = 0.3
	}
	out := l.rays().look(pts, refl, scanPose{yaw: math.Pi / 2}, l.Height, rand.New(rand.NewPCG(1, 1)))
	// azimuths within ±28° of forward and elevations within ±11° see the
	// wall (tan 31° ≈ 3/5; the rings at ±13° reach 1.2/5 only near the centre)
	var wallHits, panelHits int
	for _, p := range out {
		el := velodyne.ElevationDeg(int(p.Ring))
		y := float64(p.Y)
		switch {
		case p.Intensity < 0.25 || p.Intensity > 0.35:
			t.Fatalf("intensity %v of a 0.3 surface", p.Intensity)
		case math.Abs(y-2) < 0.1:
			panelHits++
			if math.Abs(float64(p.X)) > 0.35 || math.Abs(float64(p.Z)) > 0.35 {
				t.Fatalf("panel return %+v outside the panel", p)
			}
		case math.Abs(y-5) < 0.12:
			wallHits++
			if math.Abs(float64(p.X)) < 0.25 && math.Abs(float64(p.Z)) < 0.25*2.5 && math.Abs(el) < 5 {
				t.Fatalf("wall return %+v behind the panel", p)
			}
		default:
			t.Fatalf("return %+v (ring %d, %.0f°) on neither the wall nor the panel", p, p.Ring, el)
		}
	}
	// the wall: rings −11…11 (12 rings) over ±28°, 0.2° columns
	if wallHits < 12*250 || panelHits < 5*40 {
		t.Errorf("%d wall and %d panel returns", wallHits, panelHits)
	}
}

// TestLoadStillLinear writes a gray ramp and a colour patch as PNG and
// checks the linear values against luma^2.2 computed in float.
func TestLoadStillLinear(t *testing.T) {
	im := image.NewNRGBA(image.Rect(0, 0, 256, 17))
	for x := 0; x < 256; x++ {
		for y := 0; y < 16; y++ {
			im.Set(x, y, color.NRGBA{uint8(x), uint8(x), uint8(x), 255})
		}
		im.Set(x, 16, color.NRGBA{uint8(x), uint8(255 - x), uint8(x / 2), 255})
	}
	path := filepath.Join(t.TempDir(), "ramp.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, im); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := loadStill(path)
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; x < 256; x++ {
		for _, y := range []int{0, 16} {
			c := im.NRGBAAt(x, y)
			luma := (0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)) / 255
			want := math.Pow(luma, 2.2)
			if got := float64(s.lin[y*256+x]); math.Abs(got-want) > 2e-4 {
				t.Fatalf("pixel (%d, %d) %v: linear %v, want %v", x, y, c, got, want)
			}
		}
	}
}
