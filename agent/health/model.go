package health

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/sensortrust/trustagent/agent/level"
)

// Layer sizes of the autoencoder besides the input width d.
const (
	Hidden     = 32
	Bottleneck = 8
)

// MaxFeatures bounds d.
const MaxFeatures = 256

// zClip bounds standardised inputs, so that the Q10 int16 activations
// (range ±32) never saturate on the input.
const zClip = 31

// dense is one fully connected layer, W row-major (Out rows of In weights).
type dense struct {
	In, Out int
	W, B    []float64
}

// Model is a trained health autoencoder with its standardisation and
// thresholds. It is immutable once built; use NewEvaluator per goroutine.
type Model struct {
	ID    string    // free text naming the model, e.g. "health-lidar0-2026.11"
	Names []string  // feature names
	Mean  []float64 // per feature, natural units
	Std   []float64 // per feature, > 0
	// Warn and Error are the thresholds on the score (99th and 99.9th
	// percentiles of the fixed-point score on held-out normal vectors).
	Warn, Error float64
	layers      [4]dense
	q           quantized
}

// ErrModel is wrapped by errors about malformed models and inputs.
var ErrModel = errors.New("health: invalid model")

// D returns the number of features.
func (m *Model) D() int { return len(m.Names) }

// Fits reports whether the model was trained on exactly the features named,
// in order: the vector a sensor computes now. A model trained by a build
// whose statistics differ in name or number is refused with an error wrapping
// ErrModel that names the first difference, because its standardisation and
// weights would read the wrong numbers.
func (m *Model) Fits(names []string) error {
	if len(m.Names) != len(names) {
		return fmt.Errorf("%w: trained on %d features, this build computes %d; retrain the bundle", ErrModel, len(m.Names), len(names))
	}
	for i, n := range names {
		if m.Names[i] != n {
			return fmt.Errorf("%w: feature %d is %q in the model, %q in this build; retrain the bundle", ErrModel, i, m.Names[i], n)
		}
	}
	return nil
}

func newLayers(d int) [4]dense {
	dims := [5]int{d, Hidden, Bottleneck, Hidden, d}
	var ls [4]dense
	for i := range ls {
		ls[i] = dense{In: dims[i], Out: dims[i+1], W: make([]float64, dims[i]*dims[i+1]), B: make([]float64, dims[i+1])}
	}
	return ls
}

// relu reports whether layer i has a ReLU (the two wide layers do).
func relu(i int) bool { return i == 0 || i == 2 }

// validate checks shapes and values and builds the quantised network.
func (m *Model) finish() error {
	d := len(m.Names)
	if d < 1 || d > MaxFeatures {
		return fmt.Errorf("%w: %d features, want 1..%d", ErrModel, d, MaxFeatures)
	}
	if len(m.Mean) != d || len(m.Std) != d {
		return fmt.Errorf("%w: %d means and %d deviations for %d features", ErrModel, len(m.Mean), len(m.Std), d)
	}
	for i := range d {
		// Std +Inf marks a feature the model does not judge (TrainOptions.Ignore).
		if !finite(m.Mean[i]) || !(m.Std[i] > 0) || math.IsNaN(m.Std[i]) || math.IsInf(m.Std[i], -1) {
			return fmt.Errorf("%w: feature %q: mean %v, std %v", ErrModel, m.Names[i], m.Mean[i], m.Std[i])
		}
	}
	want := newLayers(d)
	for i, l := range m.layers {
		if l.In != want[i].In || l.Out != want[i].Out || len(l.W) != l.In*l.Out || len(l.B) != l.Out {
			return fmt.Errorf("%w: layer %d shape %d×%d", ErrModel, i, l.Out, l.In)
		}
		for _, v := range l.W {
			if !finite(v) || math.Abs(v) > 1e6 {
				return fmt.Errorf("%w: layer %d weight %v", ErrModel, i, v)
			}
		}
		for _, v := range l.B {
			if !finite(v) || math.Abs(v) > 1e6 {
				return fmt.Errorf("%w: layer %d bias %v", ErrModel, i, v)
			}
		}
	}
	if !finite(m.Warn) || !finite(m.Error) || m.Warn < 0 || m.Error < m.Warn {
		return fmt.Errorf("%w: thresholds warn %v, error %v", ErrModel, m.Warn, m.Error)
	}
	q, err := quantize(m)
	if err != nil {
		return err
	}
	m.q = q
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// standardize writes the clipped standardised x into z; NaN features (not
// computable for this frame) are imputed with the training mean (z = 0).
func (m *Model) standardize(z, x []float64) {
	for i := range z {
		v := (x[i] - m.Mean[i]) / m.Std[i]
		switch {
		case math.IsNaN(v):
			v = 0
		case v > zClip:
			v = zClip
		case v < -zClip:
			v = -zClip
		}
		z[i] = v
	}
}

// forward runs the float network on standardised z, keeping every layer's
// output in acts (acts[0] = z).
func (m *Model) forward(acts [][]float64) {
	for li, l := range m.layers {
		in, out := acts[li], acts[li+1]
		for o := 0; o < l.Out; o++ {
			s := l.B[o]
			row := l.W[o*l.In : (o+1)*l.In]
			for i, w := range row {
				s += w * in[i]
			}
			if relu(li) && s < 0 {
				s = 0
			}
			out[o] = s
		}
	}
}

func newActs(d int) [][]float64 {
	return [][]float64{make([]float64, d), make([]float64, Hidden), make([]float64, Bottleneck), make([]float64, Hidden), make([]float64, d)}
}

// ScoreFloat is the float64 reference of the score: mean squared
// reconstruction error of the standardised features. It allocates; it is
// for tests, training and reports.
func (m *Model) ScoreFloat(x []float64) (float64, error) {
	if len(x) != m.D() {
		return 0, fmt.Errorf("%w: %d features, model has %d", ErrModel, len(x), m.D())
	}
	acts := newActs(m.D())
	m.standardize(acts[0], x)
	m.forward(acts)
	var s float64
	for i, z := range acts[0] {
		d := z - acts[4][i]
		s += d * d
	}
	return s / float64(m.D()), nil
}

// Result is the verdict of a health model on one feature vector.
type Result struct {
	Score   float64
	Level   level.Level    // OK, WARN (score > Warn) or ERROR (score > Error)
	Reasons []level.Reason // top contributing features when not OK, largest first
}

// TopReasons is the number of features reported as reasons.
const TopReasons = 3

// Clone returns a deep copy (for swapping thresholds without touching a
// model in use).
func (m *Model) Clone() *Model {
	c := *m
	c.Names = slices.Clone(m.Names)
	c.Mean = slices.Clone(m.Mean)
	c.Std = slices.Clone(m.Std)
	for i, l := range m.layers {
		c.layers[i] = dense{In: l.In, Out: l.Out, W: slices.Clone(l.W), B: slices.Clone(l.B)}
	}
	return &c
}
