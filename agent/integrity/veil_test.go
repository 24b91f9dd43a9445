package integrity_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
)

// veilCount runs a fresh check over frames and returns how many are
// veiled and the first.
func veilCount(frames []*sensors.Image) (veiled, first int) {
	var c veilCheck
	return countHits(frames, func(im *sensors.Image) bool { return c.Check(im).Veiled })
}

// TestVeilCleanSim: the simulated camera, clean, in seven worlds the
// models never saw, is never veiled.
func TestVeilCleanSim(t *testing.T) {
	if raceEnabled {
		t.Skip("renders 2100 simulated frames (tens of seconds under -race, where it adds nothing: make test runs it without)")
	}
	for _, world := range []uint64{7, 9, 11, 12, 13, 41, 42} {
		if n, first := veilCount(simImages(t, world, 300, 320, 240)); n != 0 {
			t.Errorf("world %d: %d veiled frames of 300, the first at %d", world, n, first)
		}
	}
}

// TestVeilCleanReal: every real camera scene of the catalogue, clean, is
// never veiled: the street video, the animated film's cuts and fades, and
// the photographs' drives with their exposure changes.
func TestVeilCleanReal(t *testing.T) {
	if raceEnabled {
		t.Skip("drives every real camera scene (minutes under -race, where it adds nothing: make test runs it without)")
	}
	for name, frames := range realCameraDrives(t, 300) {
		if n, first := veilCount(frames); n != 0 {
			t.Errorf("%s: %d veiled frames of %d, the first at %d", name, n, len(frames), first)
		}
	}
}

// veiledFrac injects fault at sev into frames after a clean lead-in of a
// fifth of them, as the evaluation does, and returns the share of faulty
// frames found veiled; a veiled frame in the lead-in fails the test.
func veiledFrac(t *testing.T, name string, frames []*sensors.Image, fault string, sev int) float64 {
	t.Helper()
	inj, err := faults.New(sensors.KindCamera, faults.Config{Fault: fault, Severity: sev, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	lead := len(frames) / 5
	var c veilCheck
	veiled := 0
	for i, im := range frames {
		if i >= lead {
			im = inj.Inject(im)[0].(*sensors.Image)
		}
		r := c.Check(im)
		switch {
		case r.Veiled && i < lead:
			t.Fatalf("%s: clean frame %d of the lead-in is veiled", name, i)
		case r.Veiled && (r.Level() != level.Error || !(r.Offset > 0)):
			t.Fatalf("%s: frame %d: %+v", name, i, r)
		case r.Veiled:
			veiled++
		}
	}
	return float64(veiled) / float64(len(frames)-lead)
}

// TestVeilFindsBrightnessContrast: the fault catalogue's brightness (the
// value channel lifted by 0.2, 0.3, 0.5) and contrast (pulled towards the
// mean to 0.3, 0.2, 0.05 of it) are found from their first frame to the
// drive's end, in simulated worlds and on every real scene; except
// brightness where it clips most of the image to white: at severity 3,
// and in simulated world 7, whose bright sky fills much of the view.
func TestVeilFindsBrightnessContrast(t *testing.T) {
	if raceEnabled {
		t.Skip("renders and injects some 25000 frames (minutes under -race, where it adds nothing: make test runs it without)")
	}
	drives := realCameraDrives(t, 100)
	drives["sim world 7"] = simImages(t, 7, 100, 320, 240)
	drives["sim world 13"] = simImages(t, 13, 100, 320, 240)
	for name, frames := range drives {
		for _, fault := range []string{"brightness", "contrast"} {
			for sev := 1; sev <= 3; sev++ {
				f := veiledFrac(t, name, frames, fault, sev)
				t.Logf("%s, %s %d: %.1f %% of faulty frames veiled", name, fault, sev, 100*f)
				// Brightness that drives much of the image to white is
				// not a line from the frame before (see Veil).
				clips := fault == "brightness" && (sev == 3 || name == "sim world 7")
				if !clips && f < 0.95 {
					t.Errorf("%s, %s %d: %.1f %% of faulty frames veiled, want ≥ 95 %%", name, fault, sev, 100*f)
				}
			}
		}
	}
}

// lift maps every pixel p of im to keep·p + add, rounded and clipped: light
// laid over the view.
func lift(im *sensors.Image, keep, add float64) *sensors.Image {
	for i, p := range im.Pix {
		im.Pix[i] = byte(math.Max(0, math.Min(255, math.Round(keep*float64(p)+add))))
	}
	return im
}

// TestVeilRules: a camera panning over a textured scene, 3 px a frame,
// with things happening from frame 10; which frames are veiled.
func TestVeilRules(t *testing.T) {
	const w, h, n = 320, 240, 40
	pan := func(i int) *sensors.Image { return scene(w, h, 3*float64(i), 1, nil) }
	for _, tc := range []struct {
		name  string
		frame func(i int) *sensors.Image
		want  func(i int) bool // whether frame i is to be veiled
	}{
		{"clean", pan, func(int) bool { return false }},
		{"glare comes and stays", func(i int) *sensors.Image {
			if i < 10 {
				return pan(i)
			}
			return lift(pan(i), 0.7, 60)
		}, func(i int) bool { return i >= 10 }},
		{"glare comes and goes", func(i int) *sensors.Image {
			if i < 10 || i >= 25 {
				return pan(i)
			}
			return lift(pan(i), 0.7, 60)
		}, func(i int) bool { return i >= 10 && i < 25 }},
		{"contrast lost", func(i int) *sensors.Image {
			if i < 10 {
				return pan(i)
			}
			return lift(pan(i), 0.2, 0.8*128)
		}, func(i int) bool { return i >= 10 }},
		{"glare, then a cut to another view", func(i int) *sensors.Image {
			switch {
			case i < 10:
				return pan(i)
			case i < 20:
				return lift(pan(i), 0.7, 60)
			}
			return lift(scene(w, h, 3*float64(i)+5000, 1, nil), 0.7, 60)
		}, func(i int) bool { return i >= 10 }},
		{"light halves at once", func(i int) *sensors.Image {
			if i < 10 {
				return pan(i)
			}
			return scene(w, h, 3*float64(i), 0.5, nil)
		}, func(int) bool { return false }},
		{"light rises by a tenth at once", func(i int) *sensors.Image {
			if i < 10 {
				return pan(i)
			}
			return scene(w, h, 3*float64(i), 1.1, nil)
		}, func(int) bool { return false }},
		{"glare builds up slowly", func(i int) *sensors.Image {
			if i < 10 {
				return pan(i)
			}
			return lift(pan(i), 1-0.01*float64(i-9), 1.28*float64(i-9))
		}, func(int) bool { return false }},
		{"cut to another view", func(i int) *sensors.Image {
			if i < 10 {
				return pan(i)
			}
			return scene(w, h, 3*float64(i)+5000, 1, nil)
		}, func(int) bool { return false }},
		{"a frame of one shade between", func(i int) *sensors.Image {
			if i == 10 {
				return lift(pan(i), 0, 200)
			}
			return pan(i)
		}, func(int) bool { return false }},
	} {
		var c veilCheck
		for i := range n {
			r := c.Check(tc.frame(i))
			if r.Veiled != tc.want(i) {
				t.Errorf("%s: frame %d: veiled %v (offset %.3f), want %v", tc.name, i, r.Veiled, r.Offset, tc.want(i))
			}
		}
	}
}

// TestVeilGeometry: a frame too small for the grid, or whose buffer does
// not hold it, gets no verdict and leaves a held veil as it was; a frame
// of another size starts afresh.
func TestVeilGeometry(t *testing.T) {
	const w, h = 320, 240
	var c veilCheck
	c.Check(scene(w, h, 0, 1, nil))
	if r := c.Check(lift(scene(w, h, 3, 1, nil), 0.7, 60)); !r.Veiled {
		t.Fatalf("onset: %+v, want veiled", r)
	}
	for _, im := range []*sensors.Image{
		{Width: 8, Height: 8, Stride: 8, Format: sensors.Gray8, Pix: make([]byte, 64)},
		{Width: w, Height: h, Stride: w, Format: sensors.Gray8, Pix: make([]byte, 100)},
	} {
		if r := c.Check(im); r.Veiled {
			t.Fatalf("%d×%d frame with %d bytes: %+v, want no verdict", im.Width, im.Height, len(im.Pix), r)
		}
	}
	if r := c.Check(lift(scene(w, h, 6, 1, nil), 0.7, 60)); !r.Veiled {
		t.Fatalf("after frames without a verdict: %+v, want still veiled", r)
	}
	if r := c.Check(lift(scene(w/2, h/2, 9, 1, nil), 0.7, 60)); r.Veiled {
		t.Fatalf("a frame of another size: %+v, want a fresh start", r)
	}
}

// TestVeilAllocs: a frame, veiled or not, allocates nothing.
func TestVeilAllocs(t *testing.T) {
	frames := []*sensors.Image{scene(320, 240, 0, 1, nil), lift(scene(320, 240, 3, 1, nil), 0.7, 60)}
	var c veilCheck
	c.Check(frames[0])
	i := 0
	if a := testing.AllocsPerRun(100, func() { c.Check(frames[i%2]); i++ }); a != 0 {
		t.Errorf("%.1f allocations per frame, want 0", a)
	}
}

func BenchmarkVeil(b *testing.B) {
	for _, sz := range [][2]int{{320, 240}, {640, 480}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			frames := []*sensors.Image{scene(sz[0], sz[1], 0, 1, nil), scene(sz[0], sz[1], 3, 1, nil)}
			var c veilCheck
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				c.Check(frames[i%2])
			}
		})
	}
}
