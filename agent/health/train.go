package health

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// TrainOptions configure Train. Zero fields take the defaults.
type TrainOptions struct {
	ID string
	// CalibFrac is the fraction of rows, taken from the end of the series as
	// one contiguous block, used only for the thresholds; default 0.2.
	CalibFrac float64
	// ValFrac is the fraction just before the calibration block used for
	// early stopping; default 0.1.
	ValFrac float64
	// WarnQuantile and ErrorQuantile of the calibration scores give the
	// thresholds; defaults 0.99 and 0.999.
	WarnQuantile, ErrorQuantile float64
	Epochs                      int     // maximum epochs; default 200
	Patience                    int     // epochs without validation improvement before stopping; default 20
	BatchSize                   int     // default 32
	LearningRate                float64 // Adam step; default 1e-3
	Seed                        uint64  // weight initialisation and batch order
	// Ignore names features the training data cannot speak for: they are
	// standardised to 0 (Std = +Inf), so the model never judges them. A
	// recording keeps one stamp per frame, for instance, so it says nothing
	// about arrival times on the robot (see ArrivalNames).
	Ignore []string
	// Scaling of the features; default ScaleStandard.
	Scaling Scaling
	// Noise is the standard deviation, in standardised units, of Gaussian
	// noise added to the inputs while training, the target staying clean
	// (a denoising autoencoder). With few features that move independently
	// the network could otherwise learn the identity and reconstruct faults
	// as well as normal vectors; noise makes it learn how the features move
	// together instead. Default 0 (none).
	Noise float64
	// MinScale, when set, holds a smallest scale per feature in natural
	// units (len d; 0 for none): the smallest change that matters, so a
	// feature that barely moved while learning (a disk's free space, a
	// temperature on a calm afternoon) is not judged on its noise alone.
	MinScale []float64
}

func (o *TrainOptions) fill() {
	if o.CalibFrac == 0 {
		o.CalibFrac = 0.2
	}
	if o.ValFrac == 0 {
		o.ValFrac = 0.1
	}
	if o.WarnQuantile == 0 {
		o.WarnQuantile = 0.99
	}
	if o.ErrorQuantile == 0 {
		o.ErrorQuantile = 0.999
	}
	if o.Epochs == 0 {
		o.Epochs = 200
	}
	if o.Patience == 0 {
		o.Patience = 20
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	}
	if o.LearningRate == 0 {
		o.LearningRate = 1e-3
	}
}

// TrainReport says how training went.
type TrainReport struct {
	TrainRows, ValRows, CalibRows int
	Epochs                        int
	TrainLoss, ValLoss            float64 // final mean squared error, standardised units
}

// MinTrainRows is the fewest rows Train accepts.
const MinTrainRows = 50

// Train fits an autoencoder to rows of normal feature vectors in time
// order (row i is the vector of frame or window i). The series is split into
// contiguous blocks, never shuffled across: training (first), validation
// (early stopping), calibration (last, thresholds only). Standardisation
// uses the training block; NaN entries are ignored there and imputed as the
// mean. Deterministic for a given Seed.
func Train(rows [][]float64, names []string, opts TrainOptions) (*Model, TrainReport, error) {
	return TrainContext(context.Background(), rows, names, opts)
}

// TrainContext is Train stopping between epochs when ctx is done, with
// ctx's error.
func TrainContext(ctx context.Context, rows [][]float64, names []string, opts TrainOptions) (*Model, TrainReport, error) {
	opts.fill()
	var rep TrainReport
	d := len(names)
	if d < 1 || d > MaxFeatures {
		return nil, rep, fmt.Errorf("health: train: %d feature names, want 1..%d", d, MaxFeatures)
	}
	if len(rows) < MinTrainRows {
		return nil, rep, fmt.Errorf("health: train: %d rows, need at least %d", len(rows), MinTrainRows)
	}
	if opts.CalibFrac <= 0 || opts.ValFrac <= 0 || opts.CalibFrac+opts.ValFrac >= 0.9 ||
		!(opts.WarnQuantile > 0 && opts.WarnQuantile <= opts.ErrorQuantile && opts.ErrorQuantile <= 1) {
		return nil, rep, fmt.Errorf("health: train: bad options %+v", opts)
	}
	for i, r := range rows {
		if len(r) != d {
			return nil, rep, fmt.Errorf("health: train: row %d has %d values, want %d", i, len(r), d)
		}
	}
	nCal := max(1, int(float64(len(rows))*opts.CalibFrac))
	nVal := max(1, int(float64(len(rows))*opts.ValFrac))
	nTr := len(rows) - nCal - nVal
	train, val, cal := rows[:nTr], rows[nTr:nTr+nVal], rows[nTr+nVal:]
	rep.TrainRows, rep.ValRows, rep.CalibRows = len(train), len(val), len(cal)

	m := &Model{ID: opts.ID, Names: slices.Clone(names), Mean: make([]float64, d), Std: make([]float64, d)}
	if opts.Scaling == ScaleRobust {
		robustScaling(m, train)
	} else {
		standardization(m, train)
	}
	if opts.MinScale != nil {
		if len(opts.MinScale) != d {
			return nil, rep, fmt.Errorf("health: train: %d minimum scales for %d features", len(opts.MinScale), d)
		}
		for i, v := range opts.MinScale {
			if v > 0 {
				m.Std[i] = max(m.Std[i], v)
			}
		}
	}
	for _, name := range opts.Ignore {
		i := slices.Index(names, name)
		if i < 0 {
			return nil, rep, fmt.Errorf("health: train: ignored feature %q is not a feature", name)
		}
		m.Mean[i], m.Std[i] = 0, math.Inf(1)
	}

	rng := rand.New(rand.NewPCG(opts.Seed, 0x6865616c7468))
	m.layers = newLayers(d)
	for i := range m.layers {
		l := &m.layers[i]
		lim := math.Sqrt(6 / float64(l.In)) // He uniform
		if !relu(i) {
			lim = math.Sqrt(3 / float64(l.In))
		}
		for j := range l.W {
			l.W[j] = (rng.Float64()*2 - 1) * lim
		}
	}
	zTrain := standardizeAll(m, train)
	zVal := standardizeAll(m, val)

	tr := newTrainer(m, opts.LearningRate)
	tr.noise, tr.rng = opts.Noise, rng
	order := make([]int, len(zTrain))
	for i := range order {
		order[i] = i
	}
	best := math.Inf(1)
	bestLayers := cloneLayers(m.layers)
	stale := 0
	for ep := 0; ep < opts.Epochs; ep++ {
		if err := ctx.Err(); err != nil {
			return nil, rep, fmt.Errorf("health: train: %w", err)
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for b := 0; b < len(order); b += opts.BatchSize {
			tr.step(zTrain, order[b:min(b+opts.BatchSize, len(order))])
		}
		rep.Epochs = ep + 1
		v := meanLoss(m, zVal)
		if v < best-1e-9 {
			best, stale = v, 0
			bestLayers = cloneLayers(m.layers)
		} else if stale++; stale >= opts.Patience {
			break
		}
	}
	m.layers = bestLayers
	rep.TrainLoss = meanLoss(m, zTrain)
	rep.ValLoss = meanLoss(m, zVal)

	// Thresholds after quantisation, on the calibration block only.
	m.Warn, m.Error = 0, 0
	if err := m.finish(); err != nil {
		return nil, rep, fmt.Errorf("health: train: %w", err)
	}
	ev := m.NewEvaluator()
	scores := make([]float64, len(cal))
	for i, x := range cal {
		s, err := ev.Score(x)
		if err != nil {
			return nil, rep, err
		}
		scores[i] = s
	}
	slices.Sort(scores)
	m.Warn = quantileSorted(scores, opts.WarnQuantile)
	m.Error = quantileSorted(scores, opts.ErrorQuantile)
	return m, rep, nil
}

// Calibrate returns a copy of m with thresholds recomputed from the scores
// of normal vectors (the same quantiles as Train by default).
func Calibrate(m *Model, normal [][]float64, warnQ, errorQ float64) (*Model, error) {
	if len(normal) == 0 || !(warnQ > 0 && warnQ <= errorQ && errorQ <= 1) {
		return nil, fmt.Errorf("health: calibrate: %d vectors, quantiles %v/%v", len(normal), warnQ, errorQ)
	}
	c := m.Clone()
	ev := c.NewEvaluator()
	scores := make([]float64, 0, len(normal))
	for _, x := range normal {
		s, err := ev.Score(x)
		if err != nil {
			return nil, fmt.Errorf("health: calibrate: %w", err)
		}
		scores = append(scores, s)
	}
	slices.Sort(scores)
	c.Warn, c.Error = quantileSorted(scores, warnQ), quantileSorted(scores, errorQ)
	return c, nil
}

func standardization(m *Model, rows [][]float64) {
	d := m.D()
	for i := 0; i < d; i++ {
		var s, s2 float64
		n := 0
		for _, r := range rows {
			if v := r[i]; finite(v) {
				s += v
				s2 += v * v
				n++
			}
		}
		mean := 0.0
		if n > 0 {
			mean = s / float64(n)
		}
		sd := 0.0
		if n > 1 {
			sd = math.Sqrt(max(0, s2/float64(n)-mean*mean))
		}
		// A floor keeps features that never moved in normal data from
		// dividing by zero; any movement then stands out, which is right.
		m.Mean[i] = mean
		m.Std[i] = max(sd, 1e-3*(1+math.Abs(mean)))
	}
}

func standardizeAll(m *Model, rows [][]float64) [][]float64 {
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = make([]float64, m.D())
		m.standardize(out[i], r)
	}
	return out
}

func meanLoss(m *Model, zs [][]float64) float64 {
	if len(zs) == 0 {
		return 0
	}
	acts := newActs(m.D())
	var tot float64
	for _, z := range zs {
		copy(acts[0], z)
		m.forward(acts)
		for i, v := range z {
			e := v - acts[4][i]
			tot += e * e
		}
	}
	return tot / float64(len(zs)*m.D())
}

func cloneLayers(ls [4]dense) [4]dense {
	var c [4]dense
	for i, l := range ls {
		c[i] = dense{In: l.In, Out: l.Out, W: slices.Clone(l.W), B: slices.Clone(l.B)}
	}
	return c
}

// trainer holds Adam state and gradient buffers.
type trainer struct {
	m          *Model
	lr         float64
	t          int
	gW, gB     [4][]float64
	mW, vW     [4][]float64
	mB, vB     [4][]float64
	acts, dlts [][]float64
	noise      float64
	rng        *rand.Rand
}

func newTrainer(m *Model, lr float64) *trainer {
	t := &trainer{m: m, lr: lr, acts: newActs(m.D()), dlts: newActs(m.D())}
	for i, l := range m.layers {
		t.gW[i], t.mW[i], t.vW[i] = make([]float64, len(l.W)), make([]float64, len(l.W)), make([]float64, len(l.W))
		t.gB[i], t.mB[i], t.vB[i] = make([]float64, len(l.B)), make([]float64, len(l.B)), make([]float64, len(l.B))
	}
	return t
}

// grad accumulates the gradient of the batch loss
// L = (1/(|batch|·d)) Σ_rows Σ_i (ẑ_i − z_i)².
func (t *trainer) grad(zs [][]float64, batch []int) {
	m := t.m
	for i := range t.gW {
		clear(t.gW[i])
		clear(t.gB[i])
	}
	scale := 2 / float64(len(batch)*m.D())
	for _, bi := range batch {
		copy(t.acts[0], zs[bi])
		if t.noise > 0 {
			for i := range t.acts[0] {
				t.acts[0][i] += t.noise * t.rng.NormFloat64()
			}
		}
		m.forward(t.acts)
		out := t.dlts[4]
		for i := range out {
			out[i] = scale * (t.acts[4][i] - zs[bi][i])
		}
		for li := 3; li >= 0; li-- {
			l := &m.layers[li]
			dOut, in, dIn := t.dlts[li+1], t.acts[li], t.dlts[li]
			if relu(li) {
				for o := range dOut {
					if t.acts[li+1][o] <= 0 {
						dOut[o] = 0
					}
				}
			}
			clear(dIn)
			for o := 0; o < l.Out; o++ {
				g := dOut[o]
				if g == 0 {
					continue
				}
				t.gB[li][o] += g
				row := l.W[o*l.In : (o+1)*l.In]
				grow := t.gW[li][o*l.In : (o+1)*l.In]
				for i := range row {
					grow[i] += g * in[i]
					dIn[i] += g * row[i]
				}
			}
		}
	}
}

func (t *trainer) step(zs [][]float64, batch []int) {
	t.grad(zs, batch)
	t.t++
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1 := 1 - math.Pow(b1, float64(t.t))
	c2 := 1 - math.Pow(b2, float64(t.t))
	upd := func(p, g, mm, vv []float64) {
		for i := range p {
			mm[i] = b1*mm[i] + (1-b1)*g[i]
			vv[i] = b2*vv[i] + (1-b2)*g[i]*g[i]
			p[i] -= t.lr * (mm[i] / c1) / (math.Sqrt(vv[i]/c2) + eps)
		}
	}
	for li := range t.m.layers {
		upd(t.m.layers[li].W, t.gW[li], t.mW[li], t.vW[li])
		upd(t.m.layers[li].B, t.gB[li], t.mB[li], t.vB[li])
	}
}
