package health

import (
	"fmt"
	"math"
	"slices"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/fixedpoint"
)

// actFrac is the number of fractional bits of the int16 activations (Q10:
// range ±32, step 1/1024 of a standard deviation).
const actFrac = 10

type qlayer struct {
	in, out int
	w       []int16
	bias    []int64 // accumulator units: 2^actFrac / scale_w[o]
	rq      []fixedpoint.Requant
	act     fixedpoint.Act
}

type quantized struct {
	layers [4]qlayer
}

// minScale keeps all-zero rows representable by a Requant.
const minScale = 1e-6

func quantize(m *Model) (quantized, error) {
	var q quantized
	for li, l := range m.layers {
		ql := qlayer{in: l.In, out: l.Out, w: make([]int16, len(l.W)), bias: make([]int64, l.Out), rq: make([]fixedpoint.Requant, l.Out)}
		if relu(li) {
			ql.act = fixedpoint.Act{Kind: fixedpoint.ActReLU}
		}
		for o := 0; o < l.Out; o++ {
			row := l.W[o*l.In : (o+1)*l.In]
			var mx float64
			for _, w := range row {
				mx = max(mx, math.Abs(w))
			}
			s := max(mx/32767, minScale)
			for i, w := range row {
				ql.w[o*l.In+i] = int16(max(-32767, min(32767, math.Round(w/s))))
			}
			// acc·s is the output in the units of the input (Q10), so the
			// requantisation multiplier is s and the bias b·2^8/s.
			rq, err := fixedpoint.NewRequant(s)
			if err != nil {
				return q, fmt.Errorf("%w: layer %d row %d: %w", ErrModel, li, o, err)
			}
			ql.rq[o] = rq
			ql.bias[o] = int64(math.Round(l.B[o] * (1 << actFrac) / s))
		}
		q.layers[li] = ql
	}
	return q, nil
}

// Evaluator scores feature vectors with a model's fixed-point network. It
// owns scratch buffers: one per goroutine.
type Evaluator struct {
	m      *Model
	acts   [5][]int16
	sq     []int64
	z      []float64
	timing []int     // indices of the stream-timing features (WindowNames) in m.Names
	xt     []float64 // scratch: x with its timing features at their centres
}

// NewEvaluator returns an evaluator of m.
func (m *Model) NewEvaluator() *Evaluator {
	d := m.D()
	e := &Evaluator{m: m, sq: make([]int64, d), z: make([]float64, d)}
	for i, n := range [5]int{d, Hidden, Bottleneck, Hidden, d} {
		e.acts[i] = make([]int16, n)
	}
	for i, n := range m.Names {
		if slices.Contains(windowNames, n) {
			e.timing = append(e.timing, i)
		}
	}
	if len(e.timing) > 0 {
		e.xt = make([]float64, d)
	}
	return e
}

// Model returns the evaluated model.
func (e *Evaluator) Model() *Model { return e.m }

// Score returns the fixed-point score of the feature vector x (natural
// units, len D()). Only the standardisation at the input and the final
// scaling to a float are in floating point; the network and the error sum
// are integer.
func (e *Evaluator) Score(x []float64) (float64, error) {
	m := e.m
	if len(x) != m.D() {
		return 0, fmt.Errorf("%w: %d features, model has %d", ErrModel, len(x), m.D())
	}
	m.standardize(e.z, x)
	for i, z := range e.z {
		e.acts[0][i] = fixedpoint.Sat16(fixedpoint.ToQ(z, actFrac))
	}
	for li := range m.q.layers {
		l := &m.q.layers[li]
		if err := fixedpoint.DenseI16(e.acts[li+1], e.acts[li], l.w, l.bias, l.rq, l.act); err != nil {
			return 0, fmt.Errorf("health: layer %d: %w", li, err)
		}
	}
	var sum int64
	for i := range e.sq {
		d := int64(e.acts[0][i]) - int64(e.acts[4][i])
		e.sq[i] = d * d
		sum += e.sq[i]
	}
	return fixedpoint.FromQ(sum, 2*actFrac) / float64(m.D()), nil
}

// Evaluate scores x and compares the score with the model's thresholds;
// when not OK, the TopReasons features with the largest squared error are
// the reasons (feature name, value in natural units).
//
// An error above the ERROR level that the stream's timing alone explains
// is a WARN: when the vector with its timing features (WindowNames) set to
// their centres scores at or below ERROR, the frame's own statistics are
// normal and only its arrival was not (a frame lost, one late). Timing
// warns and the stream checks judge it; it never makes a frame's data
// untrusted. One lost frame of a camera that never lost one in training
// is thousands of times the ERROR level, for the second that the window
// remembers it.
func (e *Evaluator) Evaluate(x []float64) (Result, error) {
	s, err := e.Score(x)
	if err != nil {
		return Result{}, err
	}
	r := Result{Score: s}
	code := level.HealthWarn
	switch {
	case s > e.m.Error:
		r.Level, code = level.Error, level.HealthError
	case s > e.m.Warn:
		r.Level = level.Warn
	default:
		return r, nil
	}
	r.Reasons = e.top(x, code, r.Level)
	if r.Level == level.Error && e.timingExplains(x) {
		r.Level = level.Warn
		for i := range r.Reasons {
			r.Reasons[i].Code, r.Reasons[i].Level = level.HealthWarn, level.Warn
		}
	}
	return r, nil
}

// timingExplains says whether x scores at or below the ERROR level once
// its timing features are set to their centres. It scores again, so the
// squared errors of x must have been read before.
func (e *Evaluator) timingExplains(x []float64) bool {
	if len(e.timing) == 0 {
		return false
	}
	copy(e.xt, x)
	for _, i := range e.timing {
		e.xt[i] = e.m.Mean[i]
	}
	s, err := e.Score(e.xt)
	return err == nil && s <= e.m.Error
}

// top picks the TopReasons largest contributions (selection, no allocation
// beyond the result).
func (e *Evaluator) top(x []float64, code level.Code, l level.Level) []level.Reason {
	n := min(TopReasons, len(e.sq))
	out := make([]level.Reason, 0, n)
	var used [TopReasons]int
	for k := 0; k < n; k++ {
		best := -1
		for i, v := range e.sq {
			taken := false
			for _, u := range used[:k] {
				if u == i {
					taken = true
				}
			}
			if !taken && (best < 0 || v > e.sq[best]) {
				best = i
			}
		}
		used[k] = best
		out = append(out, level.Reason{Code: code, Feature: e.m.Names[best], Value: x[best], Level: l})
	}
	return out
}
