package likelihood

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/sensortrust/trustagent/likelihood/features"
	"github.com/sensortrust/trustagent/sensors"
)

// TrainOptions configure Train. Zero fields take the defaults in brackets.
type TrainOptions struct {
	Seed uint64 // [1]
	// Network sizes: encoder hidden [64], latent [8], decoder hidden [64].
	Hidden, Latent, DecoderHidden int
	// Optimisation: epochs [150], early-stop patience [15], KL warm-up
	// epochs [10], minibatch [32], Adam learning rate [1e-3].
	Epochs, Patience, WarmupEpochs, BatchSize int
	LearningRate                              float64
	// WeightDecay is the decoupled (AdamW) decay of the weight matrices per
	// step, relative to the learning rate [0 = none]; it fights the
	// memorisation of a small training block.
	WeightDecay float64
	// Contiguous blocks, in frame order: the first 1−Val−Cal trains, then
	// Val [0.1] for early stopping, then Cal [0.2] for the threshold.
	ValFraction, CalFraction float64
	// TargetFPR is the per-frame false-positive rate on clean data [0.01].
	TargetFPR float64
	// LiDAR: azimuth bins [64], rows [the scans' rings, else 32 elevation
	// rows spanning the training data], maximum range [120 m].
	AzBins, Rows int
	MaxRange     float64
	// Camera thumbnail width [32]; height follows the aspect ratio
	// (16…48) unless ThumbH is set.
	ThumbW, ThumbH int
	// Channels [ChannelsWithStats] and the likelihood weight of each
	// statistic input [8].
	Channels   Channels
	StatWeight float64
	// SceneStats names statistic inputs (features.LidarNames or
	// CameraNames) that describe the scene more than the sensor (see
	// features.LidarSceneStats). The VAE models them like the others, but
	// they are left out of the statistics residual, so that a scene unlike
	// the training data does not raise it. [none]
	SceneStats []string
	// Refit [DefaultRefit()].
	Refit RefitConfig
	// Score [ScoreRegretAndStats; ScoreRegret without statistics].
	Score ScoreMode
	// Progress, if set, is called after every epoch and stage.
	Progress func(Progress)
}

// Progress reports training progress.
type Progress struct {
	Stage              string // "encode", "train", "calibrate", "done"
	Done, Total        int    // frames encoded or epochs run, out of
	TrainLoss, ValLoss float64
}

// ErrTooFewFrames is returned (wrapped) when there are not enough usable
// frames to train, validate and calibrate.
var ErrTooFewFrames = errors.New("likelihood: too few frames")

// MinFrames is the least number of usable frames Train accepts.
const MinFrames = 20

func (o TrainOptions) withDefaults() (TrainOptions, error) {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	def(&o.Hidden, 64)
	def(&o.Latent, 8)
	def(&o.DecoderHidden, 64)
	def(&o.Epochs, 150)
	def(&o.Patience, 15)
	def(&o.WarmupEpochs, 10)
	def(&o.BatchSize, 32)
	deff(&o.LearningRate, 1e-3)
	deff(&o.ValFraction, 0.1)
	deff(&o.CalFraction, 0.2)
	deff(&o.TargetFPR, 0.01)
	def(&o.AzBins, 64)
	deff(&o.MaxRange, 120)
	def(&o.ThumbW, 32)
	deff(&o.StatWeight, 8)
	if o.Refit == (RefitConfig{}) {
		o.Refit = DefaultRefit()
	}
	switch {
	case o.Hidden < 1 || o.Hidden > maxQHidden || o.DecoderHidden < 1 || o.DecoderHidden > maxQHidden ||
		o.Latent < 1 || o.Latent > maxQLatent:
		return o, fmt.Errorf("likelihood: network sizes %d/%d/%d out of range", o.Hidden, o.Latent, o.DecoderHidden)
	case o.Epochs < 1 || o.Patience < 1 || o.WarmupEpochs < 0 || o.BatchSize < 1 || !(o.LearningRate > 0 && o.LearningRate < 1) ||
		!(o.WeightDecay >= 0 && o.WeightDecay < 1):
		return o, fmt.Errorf("likelihood: bad optimiser options")
	case !(o.ValFraction > 0 && o.CalFraction > 0 && o.ValFraction+o.CalFraction < 0.8):
		return o, fmt.Errorf("likelihood: validation %g + calibration %g fractions must be positive and < 0.8", o.ValFraction, o.CalFraction)
	case !(o.TargetFPR > 0 && o.TargetFPR < 0.5):
		return o, fmt.Errorf("likelihood: target false-positive rate %g not in (0, 0.5)", o.TargetFPR)
	case o.AzBins < 4 || o.AzBins > 4096 || o.Rows < 0 || o.Rows > 128 || !(o.MaxRange > 0):
		return o, fmt.Errorf("likelihood: bad LiDAR representation options")
	case o.ThumbW < 2 || o.ThumbW > 256 || o.ThumbH < 0 || o.ThumbH > 256:
		return o, fmt.Errorf("likelihood: bad thumbnail size")
	case o.Channels > ChannelsImageOnly || !(o.StatWeight > 0 && o.StatWeight < 1e6) || o.Score > ScoreRegret:
		return o, fmt.Errorf("likelihood: bad channel options")
	}
	if err := o.Refit.validate(); err != nil {
		return o, err
	}
	return o, nil
}

// Train fits a model to clean frames of one sensor, given in recording
// order: it builds the representation, trains the float VAE on the first
// block, stops early on the validation block, quantises, and calibrates the
// fixed scorer's threshold on the last block. Deterministic for a seed on a
// given architecture.
func Train(ctx context.Context, frames []sensors.Frame, opts TrainOptions) (*Model, error) {
	start := time.Now()
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(frames) < MinFrames {
		return nil, fmt.Errorf("%w: %d frames, need at least %d", ErrTooFewFrames, len(frames), MinFrames)
	}
	progress := func(p Progress) {
		if o.Progress != nil {
			o.Progress(p)
		}
	}
	repr, err := buildRepr(frames, o)
	if err != nil {
		return nil, err
	}
	sceneStats, err := statIndices(repr, o.SceneStats)
	if err != nil {
		return nil, err
	}
	// Encode every frame in order (statistics compare consecutive frames).
	D := repr.Dims()
	enc := newEncoder(repr)
	raws := make([][]float64, 0, len(frames))
	skipped := 0
	h := sha256.New()
	var buf [8]byte
	for i, f := range frames {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			progress(Progress{Stage: "encode", Done: i, Total: len(frames)})
		}
		x := make([]float64, D)
		if err := enc.raw(x, f); err != nil {
			if errors.Is(err, ErrWrongKind) {
				return nil, fmt.Errorf("likelihood: frame %d: %w", i, err)
			}
			skipped++
			enc.reset()
			continue
		}
		hashRaw(h, x, &buf)
		raws = append(raws, x)
	}
	n := len(raws)
	if n < MinFrames {
		return nil, fmt.Errorf("%w: %d usable frames (%d unreadable), need %d", ErrTooFewFrames, n, skipped, MinFrames)
	}
	nCal := int(math.Round(o.CalFraction * float64(n)))
	nVal := int(math.Round(o.ValFraction * float64(n)))
	nTrain := n - nCal - nVal
	if nTrain < 10 || nVal < 2 || nCal < 5 {
		return nil, fmt.Errorf("%w: %d usable frames do not split into train/validation/calibration", ErrTooFewFrames, n)
	}
	fitStandardization(repr, raws[:nTrain])
	xs := raws // standardised in place
	for _, x := range xs {
		repr.standardize(x)
	}
	w := inputWeights(repr)
	model := &Model{repr: *repr, weight: w, refit: o.Refit}
	net, tm, err := fit(ctx, xs[:nTrain], xs[nTrain:nTrain+nVal], w, o, progress)
	if err != nil {
		return nil, err
	}
	model.net = net
	lam := residualPrecision(net, xs[nTrain:nTrain+nVal], repr)
	for _, i := range sceneStats {
		lam[i] = 0
	}
	if model.q, err = quantize(net, w, lam); err != nil {
		return nil, err
	}
	model.q.Mode = o.Score
	if repr.StatDims() == 0 {
		model.q.Mode = ScoreRegret
	}
	// Centre and scale of the score parts on the validation block, then the
	// threshold on the calibration block, both after quantisation.
	progress(Progress{Stage: "calibrate", Done: 0, Total: nCal})
	fs := model.NewFixedScorer()
	in := make([]int16, D)
	var lrs, res, aft []int64
	for _, x := range xs[nTrain : nTrain+nVal] {
		quantizeInput(in, x)
		a, b, c := fs.eng.parts(in)
		lrs, res, aft = append(lrs, a), append(res, b), append(aft, c)
	}
	model.q.CRegret, model.q.SRegret = robustCentreScale(lrs)
	model.q.CResid, model.q.SResid = robustCentreScale(res)
	model.q.CNLL, model.q.SNLL = robustCentreScale(aft)
	cal := make([]float64, 0, nCal)
	for _, x := range xs[nTrain+nVal:] {
		quantizeInput(in, x)
		cal = append(cal, float64(fs.eng.score(in))/one)
	}
	model.cal = calibrate(cal, o.TargetFPR)
	copy(tm.DataHash[:], h.Sum(nil))
	tm.Seed = o.Seed
	tm.Frames, tm.Skipped = len(frames), skipped
	tm.TrainFrames, tm.ValFrames, tm.CalFrames = nTrain, nVal, nCal
	tm.Created = start.UTC().Truncate(time.Second)
	tm.Duration = time.Since(start)
	model.meta = tm
	progress(Progress{Stage: "done", Done: 1, Total: 1})
	return model, nil
}

// statIndices returns the positions of the named statistics among the
// representation's statistic inputs.
func statIndices(r *Repr, names []string) ([]int, error) {
	if len(names) == 0 {
		return nil, nil
	}
	if r.StatDims() == 0 {
		return nil, fmt.Errorf("likelihood: scene statistics %v given, but the representation has no statistics", names)
	}
	all := features.CameraNames()
	if r.Kind == sensors.KindLidar {
		all = features.LidarNames()
	}
	out := make([]int, 0, len(names))
	for _, n := range names {
		i := slices.Index(all, n)
		if i < 0 {
			return nil, fmt.Errorf("likelihood: scene statistic %q is not a %s statistic", n, r.Kind)
		}
		out = append(out, i)
	}
	return out, nil
}

// residualPrecision returns the precisions of the statistics residual:
// ωᵢ / vᵢ with vᵢ the mean squared error of statistic i, decoded at the
// encoder's posterior mean, on the held-out validation block (floored at
// 0.05). Variances learnt on the training block understate how far a
// statistic strays on frames the model has not seen (scene-dependent ones
// most); the held-out error keeps the residual about sensor health.
func residualPrecision(n *net, val [][]float64, r *Repr) []float64 {
	nImg, nStats := r.ImageDims(), r.StatDims()
	v := make([]float64, nStats)
	a := newAct(n)
	for _, x := range val {
		n.encode(a, x)
		n.decodeHidden(a.a2, a.h2, a.mu)
		for i := 0; i < nStats; i++ {
			d := x[nImg+i] - (dot(n.W3[(nImg+i)*n.H2:(nImg+i+1)*n.H2], a.h2) + n.B3[nImg+i])
			v[i] += d * d
		}
	}
	lam := make([]float64, nStats)
	for i := range v {
		lam[i] = r.StatWeight / math.Max(v[i]/float64(len(val)), 0.05)
	}
	return lam
}

// robustCentreScale returns the median and 1.4826·MAD of Q12 values, the
// scale floored at max(5 % of |median|, 0.01 nats).
func robustCentreScale(v []int64) (c, s int64) {
	a := slices.Clone(v)
	slices.Sort(a)
	c = a[len(a)/2]
	for i := range a {
		a[i] = absI64(v[i] - c)
	}
	slices.Sort(a)
	s = a[len(a)/2] * 14826 / 10000
	return c, max(s, absI64(c)/20, one/100)
}

// CalibrationOf summarises clean fixed scores as a Calibration whose
// threshold is exceeded by at most a fraction fpr of them, as Train
// calibrates; callers that set the threshold by another rule overwrite it.
func CalibrationOf(scores []float64, fpr float64) (Calibration, error) {
	if len(scores) == 0 {
		return Calibration{}, fmt.Errorf("%w: no clean scores to calibrate on", ErrTooFewFrames)
	}
	if !(fpr > 0 && fpr < 1) {
		return Calibration{}, fmt.Errorf("likelihood: false-positive rate %v outside (0, 1)", fpr)
	}
	for _, v := range scores {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Calibration{}, fmt.Errorf("likelihood: clean score %v is not finite", v)
		}
	}
	return calibrate(scores, fpr), nil
}

// calibrate picks the threshold exceeded by at most a fraction fpr of the
// clean scores: the ⌈(1−fpr)·n⌉-th smallest.
func calibrate(scores []float64, fpr float64) Calibration {
	s := slices.Clone(scores)
	sort.Float64s(s)
	n := len(s)
	q := func(p float64) float64 {
		k := int(math.Ceil(p*float64(n))) - 1
		return s[max(0, min(n-1, k))]
	}
	var mean, sd float64
	for _, v := range s {
		mean += v
	}
	mean /= float64(n)
	for _, v := range s {
		sd += (v - mean) * (v - mean)
	}
	sd = math.Sqrt(sd / float64(n))
	return Calibration{Threshold: q(1 - fpr), TargetFPR: fpr, Frames: n, Mean: mean, Std: sd,
		P50: q(0.5), P90: q(0.9), P99: q(0.99), Max: s[n-1]}
}

// inputWeights gives image inputs weight 1 and statistics StatWeight.
func inputWeights(r *Repr) []float64 {
	w := make([]float64, r.Dims())
	for i := range w {
		w[i] = 1
		if i >= r.ImageDims() {
			w[i] = r.StatWeight
		}
	}
	return w
}

// buildRepr fixes the representation geometry from the training frames.
func buildRepr(frames []sensors.Frame, o TrainOptions) (*Repr, error) {
	var kind sensors.Kind
	for _, f := range frames {
		if f != nil {
			kind = f.Kind()
			break
		}
	}
	r := &Repr{Kind: kind, Channels: o.Channels, StatWeight: o.StatWeight}
	switch kind {
	case sensors.KindLidar:
		r.AzBins, r.MaxRange = o.AzBins, float32(o.MaxRange)
		r.Elevations = elevationTable(frames, o.Rows)
		if len(r.Elevations) == 0 {
			return nil, fmt.Errorf("%w: no LiDAR returns in the training frames", ErrTooFewFrames)
		}
	case sensors.KindCamera:
		r.ThumbW, r.ThumbH = o.ThumbW, o.ThumbH
		if r.ThumbH == 0 {
			r.ThumbH = 32
			for _, f := range frames {
				if im, ok := f.(*sensors.Image); ok && im != nil && im.Width > 0 && im.Height > 0 {
					r.ThumbH = max(16, min(48, int(math.Round(float64(r.ThumbW)*float64(im.Height)/float64(im.Width)))))
					break
				}
			}
		}
	default:
		return nil, fmt.Errorf("likelihood: %w: cannot train on %v frames", ErrWrongKind, kind)
	}
	return r, nil
}

// elevationTable returns the rows of the range image: the ring elevations
// when the scans carry them (and rows is 0 or equal), else rows (default
// 32) elevations evenly spaced between the 0.5th and 99.5th percentiles of
// the training returns' elevations.
func elevationTable(frames []sensors.Frame, rows int) []float32 {
	for _, f := range frames {
		s, ok := f.(*sensors.Scan)
		if !ok || s == nil || s.Rings <= 0 || len(s.RingElevations) != s.Rings || s.Rings > 128 {
			continue
		}
		if rows != 0 && rows != s.Rings {
			break
		}
		ev := slices.Clone(s.RingElevations)
		slices.Sort(ev)
		ev = slices.Compact(ev)
		if len(ev) == s.Rings {
			return ev
		}
		break
	}
	if rows == 0 {
		rows = 32
	}
	var els []float64
	for i, f := range frames {
		s, ok := f.(*sensors.Scan)
		if !ok || s == nil || i%max(1, len(frames)/50) != 0 {
			continue
		}
		for j := range s.Points {
			p := &s.Points[j]
			if p.Range > 0 && j%7 == 0 { // 7: coprime with common ring counts
				el := math.Atan2(float64(p.Z), math.Hypot(float64(p.X), float64(p.Y)))
				if !math.IsNaN(el) {
					els = append(els, el)
				}
			}
		}
	}
	if len(els) < rows {
		return nil
	}
	sort.Float64s(els)
	lo, hi := els[len(els)/200], els[len(els)-1-len(els)/200]
	if hi <= lo {
		hi = lo + 0.01
	}
	ev := make([]float32, rows)
	for i := range ev {
		ev[i] = float32(lo + (hi-lo)*float64(i)/float64(max(1, rows-1)))
	}
	return ev
}

// fitStandardization sets Center/Scale from training vectors: mean and
// standard deviation for image inputs, median and a robust spread for
// statistics (NaNs ignored).
func fitStandardization(r *Repr, xs [][]float64) {
	D := r.Dims()
	nImg := r.ImageDims()
	r.Center, r.Scale = make([]float64, D), make([]float64, D)
	col := make([]float64, 0, len(xs))
	for i := 0; i < D; i++ {
		col = col[:0]
		for _, x := range xs {
			if !math.IsNaN(x[i]) && !math.IsInf(x[i], 0) {
				col = append(col, x[i])
			}
		}
		if len(col) == 0 {
			r.Center[i], r.Scale[i] = 0, 1
			continue
		}
		var mean, sd float64
		for _, v := range col {
			mean += v
		}
		mean /= float64(len(col))
		for _, v := range col {
			sd += (v - mean) * (v - mean)
		}
		sd = math.Sqrt(sd / float64(len(col)))
		if i < nImg {
			r.Center[i], r.Scale[i] = mean, math.Max(sd, minStd)
			continue
		}
		sort.Float64s(col)
		med := col[len(col)/2]
		for k := range col {
			col[k] = math.Abs(col[k] - med)
		}
		sort.Float64s(col)
		mad := 1.4826 * col[len(col)/2]
		r.Center[i] = med
		r.Scale[i] = math.Max(math.Max(mad, 0.5*sd), 1e-6+1e-3*math.Abs(med))
	}
}

// fit trains the float VAE with Adam on minibatches, KL warm-up and early
// stopping on the validation loss, and returns the best network.
func fit(ctx context.Context, train, val [][]float64, w []float64, o TrainOptions, progress func(Progress)) (*net, TrainMeta, error) {
	D := len(train[0])
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))
	n := newNet(D, o.Hidden, o.Latent, o.DecoderHidden)
	n.init(rng)
	grad := n.view(make([]float64, len(n.P)))
	m1, m2 := make([]float64, len(n.P)), make([]float64, len(n.P))
	a := newAct(n)
	dh1, dh2 := make([]float64, n.H1), make([]float64, n.H2)
	// Fixed validation noise so that the validation loss is comparable
	// across epochs.
	valEps := make([][]float64, len(val))
	for i := range valEps {
		valEps[i] = make([]float64, n.L)
		for j := range valEps[i] {
			valEps[i][j] = rng.NormFloat64()
		}
	}
	// Weight matrices (decayed), as a mask over P.
	decay := make([]bool, len(n.P))
	{
		off := 0
		for _, blk := range []struct {
			k int
			w bool
		}{{len(n.W1), true}, {len(n.B1), false}, {len(n.Wm), true}, {len(n.Bm), false}, {len(n.Wv), true},
			{len(n.Bv), false}, {len(n.W2), true}, {len(n.B2), false}, {len(n.W3), true}, {len(n.B3), false}, {len(n.LogVar), false}} {
			for i := off; i < off+blk.k; i++ {
				decay[i] = blk.w
			}
			off += blk.k
		}
	}
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	var tm TrainMeta
	best := math.Inf(1)
	var bestP []float64
	sinceBest := 0
	step := 0
	const b1, b2, adamEps = 0.9, 0.999, 1e-8
	for ep := 1; ep <= o.Epochs; ep++ {
		if err := ctx.Err(); err != nil {
			return nil, tm, err
		}
		beta := 1.0
		if o.WarmupEpochs > 0 {
			beta = math.Min(1, float64(ep)/float64(o.WarmupEpochs))
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var trainLoss float64
		for s := 0; s < len(order); s += o.BatchSize {
			e := min(len(order), s+o.BatchSize)
			clear(grad.P)
			for _, idx := range order[s:e] {
				for j := range a.eps {
					a.eps[j] = rng.NormFloat64()
				}
				rec, kl := n.lossGrad(grad, a, train[idx], w, beta, dh2, dh1)
				trainLoss += rec + kl
			}
			step++
			inv := 1 / float64(e-s)
			lr := o.LearningRate * math.Sqrt(1-math.Pow(b2, float64(step))) / (1 - math.Pow(b1, float64(step)))
			for i, g := range grad.P {
				g *= inv
				if g > 1e3 {
					g = 1e3
				} else if g < -1e3 {
					g = -1e3
				}
				m1[i] = b1*m1[i] + (1-b1)*g
				m2[i] = b2*m2[i] + (1-b2)*g*g
				n.P[i] -= lr * m1[i] / (math.Sqrt(m2[i]) + adamEps)
				if decay[i] {
					n.P[i] -= o.LearningRate * o.WeightDecay * n.P[i]
				}
			}
			for i, v := range n.LogVar {
				n.LogVar[i] = decLogVar(v)
			}
		}
		trainLoss /= float64(len(train))
		var valLoss float64
		for i, x := range val {
			copy(a.eps, valEps[i])
			rec, kl := n.lossGrad(nil, a, x, w, 1, dh2, dh1)
			valLoss += rec + kl
		}
		valLoss /= float64(len(val))
		tm.Epochs = ep
		if math.IsNaN(valLoss) || math.IsNaN(trainLoss) {
			return nil, tm, fmt.Errorf("likelihood: training diverged at epoch %d", ep)
		}
		if valLoss < best {
			best = valLoss
			bestP = append(bestP[:0], n.P...)
			tm.BestEpoch, tm.TrainLoss, tm.ValLoss = ep, trainLoss, valLoss
			sinceBest = 0
		} else if ep > o.WarmupEpochs {
			sinceBest++
		}
		progress(Progress{Stage: "train", Done: ep, Total: o.Epochs, TrainLoss: trainLoss, ValLoss: valLoss})
		if sinceBest >= o.Patience {
			break
		}
	}
	copy(n.P, bestP)
	return n, tm, nil
}
