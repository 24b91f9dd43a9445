package features

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sensortrust/trustagent/likelihood/internal/cputime"
	"github.com/sensortrust/trustagent/likelihood/internal/synth"
	"github.com/sensortrust/trustagent/sensors"
)

func idx(names []string, n string) int {
	for i, v := range names {
		if v == n {
			return i
		}
	}
	panic("no feature " + n)
}

func TestLidarStatistics(t *testing.T) {
	names := LidarNames()
	cur := synth.Scan(3, 360, 1, true)
	prev := synth.Scan(2, 360, 1, true)
	f := Lidar(nil, cur, prev)
	if len(f) != len(names) {
		t.Fatalf("%d values for %d names", len(f), len(names))
	}
	for i, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s = %v on a clean scan with a previous one", names[i], v)
		}
	}
	if got, want := f[idx(names, "log_points")], math.Log1p(float64(cur.Returns())); got != want {
		t.Errorf("log_points %v, want %v", got, want)
	}
	if v := f[idx(names, "ring_empty_frac")]; v != 0 {
		t.Errorf("ring_empty_frac %v on a full scan", v)
	}
	// Without a previous scan, the change statistics are NaN.
	g := Lidar(nil, cur, nil)
	if !math.IsNaN(g[idx(names, "prev_mean_abs_dr")]) {
		t.Error("prev statistic without previous scan is not NaN")
	}
	// The same scan twice: everything identical.
	if v := Lidar(nil, cur, cur)[idx(names, "prev_identical_frac")]; v != 1 {
		t.Errorf("prev_identical_frac of a repeated scan %v", v)
	}
	// Delete half the rings.
	half := *cur
	half.Points = nil
	for _, p := range cur.Points {
		if p.Ring%2 == 0 {
			half.Points = append(half.Points, p)
		}
	}
	if v := Lidar(nil, &half, nil)[idx(names, "ring_empty_frac")]; math.Abs(v-0.5) > 1e-9 {
		t.Errorf("ring_empty_frac with 8 of 16 rings %v", v)
	}
	// 10 cm point noise raises the roughness along rings.
	rng := rand.New(rand.NewPCG(1, 1))
	noisy := *cur
	noisy.Points = append([]sensors.Point(nil), cur.Points...)
	for i := range noisy.Points {
		p := &noisy.Points[i]
		if p.Range > 0 {
			p.Range += float32(rng.NormFloat64() * 0.1)
		}
	}
	r0, r1 := f[idx(names, "rough_frac_5cm")], Lidar(nil, &noisy, prev)[idx(names, "rough_frac_5cm")]
	if !(r1 > r0+0.3) {
		t.Errorf("rough_frac_5cm clean %v, noisy %v", r0, r1)
	}
	// Empty scans give NaNs, not panics.
	e := Lidar(nil, &sensors.Scan{}, nil)
	if e[idx(names, "log_points")] != 0 {
		t.Error("log_points of an empty scan")
	}
}

func gray(w, h int, fn func(x, y int) float64) *sensors.Image {
	im := &sensors.Image{Width: w, Height: h, Stride: w, Format: sensors.Gray8, Pix: make([]byte, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			im.Pix[y*w+x] = byte(max(0, min(255, math.Round(fn(x, y)))))
		}
	}
	return im
}

func TestCameraStatistics(t *testing.T) {
	names := CameraNames()
	flat := gray(200, 150, func(x, y int) float64 { return 100 })
	f, err := Camera(nil, flat, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != len(names) {
		t.Fatalf("%d values for %d names", len(f), len(names))
	}
	if v := f[idx(names, "bright_p50")]; math.Abs(v-100.5/255) > 0.01 {
		t.Errorf("median brightness %v", v)
	}
	if v := f[idx(names, "noise_mad")]; v > 0.002 {
		t.Errorf("noise estimate of a flat image %v", v)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	noisy := gray(200, 150, func(x, y int) float64 { return 100 + 10*rng.NormFloat64() })
	g, _ := Camera(nil, noisy, flat)
	if v := g[idx(names, "noise_mad")]; math.Abs(v-10.0/255) > 0.2*10/255 {
		t.Errorf("noise estimate %v, want %v ± 20 %%", v, 10.0/255)
	}
	if v, want := g[idx(names, "prev_diff_log")], math.Log10(8.0/255+1.0/4096); math.Abs(v-want) > 0.08 {
		t.Errorf("log mean |Δ| %v, want about %v (E|N(0,10)| = 8/255)", v, want)
	}
	black := gray(64, 48, func(x, y int) float64 { return 0 })
	h, _ := Camera(nil, black, black)
	if h[idx(names, "clip_low_frac")] != 1 {
		t.Error("black frame: clip_low_frac not 1")
	}
	// A repeated frame sits at the floors: nothing moved.
	if v, want := h[idx(names, "prev_diff_log")], math.Log10(1.0/4096); v != want {
		t.Errorf("repeated frame: prev_diff_log %v, want %v", v, want)
	}
	if v := h[idx(names, "prev_moved_log")]; v > -3 {
		t.Errorf("repeated frame: prev_moved_log %v, want ≤ −3 (fewer than 1 in 1000 samples moved)", v)
	}
	// A quarter of the pixels change (a codec's static background keeps
	// the rest): the logarithm of a quarter.
	quarter := gray(64, 48, func(x, y int) float64 {
		if x < 16 {
			return 40
		}
		return 0
	})
	q, _ := Camera(nil, quarter, black)
	if v := q[idx(names, "prev_moved_log")]; math.Abs(v-math.Log10(0.25)) > 0.02 {
		t.Errorf("a quarter moved: prev_moved_log %v, want about %v", v, math.Log10(0.25))
	}
	// Sharp texture vs its blurred version: Laplacian energy drops.
	sharp := gray(200, 150, func(x, y int) float64 { return 128 + 100*math.Sin(float64(x)*1.3)*math.Cos(float64(y)*0.9) })
	blur := gray(200, 150, func(x, y int) float64 {
		var s float64
		for dy := -3; dy <= 3; dy++ {
			for dx := -3; dx <= 3; dx++ {
				s += 128 + 100*math.Sin(float64(x+dx)*1.3)*math.Cos(float64(y+dy)*0.9)
			}
		}
		return s / 49
	})
	a, _ := Camera(nil, sharp, nil)
	b, _ := Camera(nil, blur, nil)
	if !(b[idx(names, "lap1_logvar")] < a[idx(names, "lap1_logvar")]-2) {
		t.Errorf("blur: lap1_logvar %v vs sharp %v", b[idx(names, "lap1_logvar")], a[idx(names, "lap1_logvar")])
	}
	if _, err := Camera(nil, &sensors.Image{Width: 5, Height: 5, Stride: 5, Format: sensors.Gray8}, nil); !errors.Is(err, ErrBadImage) {
		t.Errorf("short image: %v", err)
	}
}

func TestExtractorsDoNotAllocate(t *testing.T) {
	var le LidarExtractor
	var ce CameraExtractor
	scans := []*sensors.Scan{synth.Scan(0, 360, 1, true), synth.Scan(1, 360, 1, true)}
	ims := []*sensors.Image{synth.Image(0, 64, 48, 1), synth.Image(1, 64, 48, 1)}
	dst := make([]float64, 64)
	le.Next(dst, scans[0])
	ce.Next(dst, ims[0])
	i := 0
	if a := testing.AllocsPerRun(10, func() { le.Next(dst, scans[i%2]); i++ }); a != 0 {
		t.Errorf("LidarExtractor: %v allocs", a)
	}
	if a := testing.AllocsPerRun(10, func() { _, _ = ce.Next(dst, ims[i%2]); i++ }); a != 0 {
		t.Errorf("CameraExtractor: %v allocs", a)
	}
}

func BenchmarkLidarFeatures(b *testing.B) {
	var e LidarExtractor
	s := synth.Scan(0, 1800, 1, true)
	dst := make([]float64, 64)
	cputime.Report(b, func() { e.Next(dst, s) })
}

func BenchmarkCameraFeatures(b *testing.B) {
	var e CameraExtractor
	im := synth.Image(0, 768, 576, 1)
	dst := make([]float64, 64)
	cputime.Report(b, func() { _, _ = e.Next(dst, im) })
}

// TestLidarEmptyThenFull: an empty scan between full ones must not corrupt
// the grid bookkeeping.
func TestLidarEmptyThenFull(t *testing.T) {
	var e LidarExtractor
	a := synth.Scan(0, 360, 1, true)
	want := Lidar(nil, a, nil)
	e.Next(nil, a)
	e.Next(nil, &sensors.Scan{})
	e.Next(nil, &sensors.Scan{})
	e.Reset()
	got := e.Next(nil, a)
	for i := range want {
		if !(got[i] == want[i] || math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Errorf("%s: %v after empty scans, %v fresh", LidarNames()[i], got[i], want[i])
		}
	}
}

func TestReturnsPerCell(t *testing.T) {
	names := LidarNames()
	cur := synth.Scan(3, 1800, 1, true)
	half := *cur
	half.Points = nil
	rng := rand.New(rand.NewPCG(5, 5))
	for _, p := range cur.Points {
		if rng.IntN(2) == 0 {
			half.Points = append(half.Points, p)
		}
	}
	a := Lidar(nil, cur, nil)[idx(names, "returns_per_cell")]
	b := Lidar(nil, &half, nil)[idx(names, "returns_per_cell")]
	if !(a > 3 && b < 0.7*a) {
		t.Errorf("returns per cell: full %v, half the points %v", a, b)
	}
}

// TestAbsSteps compares the eight-at-a-time absSteps with the plain loop
// on rows of every length up to 70 and on long rows (more than one
// flush of its 16-bit lanes), with the extreme steps 0→255 and 255→0.
func TestAbsSteps(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range append(seqInts(71), 1024+9, 4096) {
		for _, fill := range []string{"random", "extreme"} {
			row := make([]byte, n)
			for i := range row {
				if fill == "random" {
					row[i] = byte(r.IntN(256))
				} else {
					row[i] = byte(255 * (i % 2))
				}
			}
			if n == 0 {
				continue
			}
			var want int64
			for x := 1; x < n; x++ {
				d := int64(row[x]) - int64(row[x-1])
				if d < 0 {
					d = -d
				}
				want += d
			}
			if got := absSteps(row); got != want {
				t.Fatalf("%s row of %d: absSteps = %d, want %d", fill, n, got, want)
			}
		}
	}
}

func seqInts(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
