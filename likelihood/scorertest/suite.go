package scorertest

import (
	"errors"
	"math"
	"sort"
	"testing"

	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
)

// Config describes the implementation under test.
type Config struct {
	// New returns a fresh scorer (of one model).
	New func() likelihood.Scorer
	// Kind the scorer accepts.
	Kind sensors.Kind
	// Clean frames of Kind in stream order (at least 4).
	Clean []sensors.Frame
	// Anomalous frames (gross faults): their median score must exceed the
	// median clean score. Optional.
	Anomalous []sensors.Frame
	// ZeroAlloc requires Score to allocate nothing once warmed up.
	ZeroAlloc bool
}

// Run runs the conformance suite as subtests of t.
func Run(t *testing.T, c Config) {
	t.Helper()
	if c.New == nil || len(c.Clean) < 4 {
		t.Fatal("scorertest: Config needs New and at least 4 clean frames")
	}
	t.Run("Kind", func(t *testing.T) {
		if k := c.New().Kind(); k != c.Kind {
			t.Errorf("Kind() = %v, want %v", k, c.Kind)
		}
	})
	t.Run("WrongKind", func(t *testing.T) {
		s := c.New()
		var other sensors.Frame = &sensors.Image{Width: 4, Height: 4, Stride: 4, Format: sensors.Gray8, Pix: make([]byte, 16)}
		if c.Kind == sensors.KindCamera {
			other = &sensors.Scan{Rings: 1, Points: []sensors.Point{{X: 1, Y: 1, Range: 1.4}}}
		}
		for _, f := range []sensors.Frame{other, &sensors.Range{Distance: 1}} {
			if _, err := s.Score(f); !errors.Is(err, likelihood.ErrWrongKind) {
				t.Errorf("Score(%T) error = %v, want ErrWrongKind", f, err)
			}
		}
	})
	t.Run("NilFrames", func(t *testing.T) {
		s := c.New()
		var nilScan *sensors.Scan
		var nilImage *sensors.Image
		for _, f := range []sensors.Frame{nil, nilScan, nilImage} {
			if _, err := s.Score(f); err == nil {
				t.Errorf("Score(%#v) gave no error", f)
			}
		}
	})
	t.Run("Deterministic", func(t *testing.T) {
		a := scores(t, c.New(), c.Clean)
		s := c.New()
		b := scores(t, s, c.Clean)
		s.Reset()
		r := scores(t, s, c.Clean)
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) || math.Float64bits(a[i]) != math.Float64bits(r[i]) {
				t.Fatalf("frame %d: scores %v, %v, after Reset %v", i, a[i], b[i], r[i])
			}
		}
	})
	t.Run("Finite", func(t *testing.T) {
		for i, v := range scores(t, c.New(), c.Clean) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("frame %d: score %v", i, v)
			}
		}
	})
	t.Run("OddFrames", func(t *testing.T) {
		s := c.New()
		odd, malformed := OddFrames(c.Kind)
		for name, f := range odd {
			v, err := s.Score(f)
			if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
				t.Errorf("%s: score %v", name, v)
			}
			// The scorer still works afterwards.
			if _, err := s.Score(c.Clean[0]); err != nil {
				t.Errorf("after %s: %v", name, err)
			}
		}
		for name, f := range malformed {
			if _, err := s.Score(f); !errors.Is(err, likelihood.ErrBadFrame) {
				t.Errorf("%s: error %v, want ErrBadFrame", name, err)
			}
		}
	})
	if len(c.Anomalous) > 0 {
		t.Run("Ordering", func(t *testing.T) {
			cl := median(scores(t, c.New(), c.Clean))
			an := median(scores(t, c.New(), c.Anomalous))
			if !(an > cl) {
				t.Errorf("median anomalous score %v ≤ median clean score %v", an, cl)
			}
		})
	}
	if c.ZeroAlloc {
		t.Run("ZeroAlloc", func(t *testing.T) {
			s := c.New()
			scores(t, s, c.Clean) // warm up
			i := 0
			allocs := testing.AllocsPerRun(3*len(c.Clean), func() {
				_, _ = s.Score(c.Clean[i%len(c.Clean)])
				i++
			})
			if allocs != 0 {
				t.Errorf("%v allocations per Score, want 0", allocs)
			}
		})
	}
}

func scores(t *testing.T, s likelihood.Scorer, frames []sensors.Frame) []float64 {
	t.Helper()
	out := make([]float64, len(frames))
	for i, f := range frames {
		v, err := s.Score(f)
		if err != nil {
			t.Fatalf("Score(frame %d): %v", i, err)
		}
		out[i] = v
	}
	return out
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// OddFrames returns frames of kind that are valid but unusual (the scorer
// may score them or refuse them, but must not panic) and frames that are
// malformed (the scorer must refuse them with ErrBadFrame).
func OddFrames(kind sensors.Kind) (odd, malformed map[string]sensors.Frame) {
	odd, malformed = map[string]sensors.Frame{}, map[string]sensors.Frame{}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	if kind == sensors.KindLidar {
		odd["empty scan"] = &sensors.Scan{}
		odd["no returns"] = &sensors.Scan{Rings: 16, Points: make([]sensors.Point, 100)}
		odd["NaN points"] = &sensors.Scan{Points: []sensors.Point{{X: nan, Y: 1, Z: 0, Range: 1}, {X: 1, Y: nan, Z: nan, Range: nan, Azimuth: nan}}}
		odd["Inf points"] = &sensors.Scan{Points: []sensors.Point{{X: inf, Y: 1, Z: 0, Range: inf}, {X: 1, Y: 1, Z: inf, Range: 5, Azimuth: inf}}}
		odd["huge ranges"] = &sensors.Scan{Points: []sensors.Point{{X: 1e9, Y: 1e9, Z: 1e9, Range: 1e9, Azimuth: 1}, {X: 0, Y: 5e3, Range: 5e3, Azimuth: 7}}}
		odd["ring out of range"] = &sensors.Scan{Rings: 2, RingElevations: []float32{0, 0.1}, Points: []sensors.Point{{X: 1, Y: 1, Range: 1.5, Ring: 900}}}
		odd["rings without elevations"] = &sensors.Scan{Rings: 16, Points: []sensors.Point{{X: 1, Y: 1, Range: 1.5, Ring: 3, Intensity: 7}}}
		odd["negative azimuth"] = &sensors.Scan{Points: []sensors.Point{{X: -1, Y: 1, Z: 0.1, Range: 1.5, Azimuth: -3, Intensity: -1}}}
		return odd, malformed
	}
	img := func(w, h, stride int, f sensors.PixelFormat, n int, fill byte) *sensors.Image {
		p := make([]byte, n)
		for i := range p {
			p[i] = fill
		}
		return &sensors.Image{Width: w, Height: h, Stride: stride, Format: f, Pix: p}
	}
	odd["1×1"] = img(1, 1, 1, sensors.Gray8, 1, 9)
	odd["black"] = img(64, 48, 64, sensors.Gray8, 64*48, 0)
	odd["white"] = img(64, 48, 64, sensors.Gray8, 64*48, 255)
	odd["RGB"] = img(40, 30, 120, sensors.RGB24, 120*30, 77)
	odd["tall thin"] = img(3, 500, 3, sensors.Gray8, 1500, 128)
	odd["padded stride"] = img(20, 20, 32, sensors.Gray8, 32*20, 50)
	malformed["zero size"] = img(0, 0, 0, sensors.Gray8, 0, 0)
	malformed["short pixels"] = img(64, 48, 64, sensors.Gray8, 100, 0)
	malformed["stride below width"] = img(64, 48, 10, sensors.Gray8, 64*48, 0)
	malformed["unknown format"] = img(8, 8, 8, sensors.PixelFormat(9), 64, 0)
	malformed["negative size"] = img(-5, 8, 8, sensors.Gray8, 64, 0)
	return odd, malformed
}
