package likelihood

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Model is a trained per-sensor model: representation, float and quantised
// VAE, re-fit configuration, threshold calibration and training metadata.
// A Model is immutable after Train or UnmarshalModel; scorers made from it
// may run in parallel (each scorer is for one goroutine).
type Model struct {
	repr   Repr
	net    *net
	q      *qnet
	weight []float64 // per-input likelihood weight ω
	refit  RefitConfig
	cal    Calibration
	meta   TrainMeta
}

// Calibration is the threshold and the clean-score statistics it came from.
// Scores are fixed-point approximated LR (nats).
type Calibration struct {
	Threshold float64 // flag a frame when its fixed score exceeds this
	TargetFPR float64 // per-frame false-positive rate on clean data aimed at
	Frames    int     // clean frames in the held-out calibration block
	Mean, Std float64
	P50, P90  float64
	P99, Max  float64
}

// TrainMeta records how a model was trained.
type TrainMeta struct {
	Seed        uint64
	Frames      int // frames given
	Skipped     int // frames that could not be encoded
	TrainFrames int
	ValFrames   int
	CalFrames   int
	Epochs      int // epochs run
	BestEpoch   int
	TrainLoss   float64 // per frame, at the best epoch
	ValLoss     float64
	DataHash    [32]byte // SHA-256 of the raw training representations
	Created     time.Time
	Duration    time.Duration
}

// Kind is the sensor kind the model scores.
func (m *Model) Kind() sensors.Kind { return m.repr.Kind }

// Threshold is the calibrated threshold of the fixed scorer.
func (m *Model) Threshold() float64 { return m.cal.Threshold }

// Calibration returns the calibration record.
func (m *Model) Calibration() Calibration { return m.cal }

// WithCalibration returns a copy of m that uses calibration c, for a
// threshold set on other clean data than the training's own block (as the
// agent's alarm calibration does). The networks are shared: a Model is
// immutable.
func (m *Model) WithCalibration(c Calibration) (*Model, error) {
	if math.IsNaN(c.Threshold) || math.IsInf(c.Threshold, 0) {
		return nil, fmt.Errorf("likelihood: threshold %v is not finite", c.Threshold)
	}
	cp := *m
	cp.cal = c
	return &cp, nil
}

// PartScales are the centre and scale, in nats, of each part of the
// combined score (ScoreRegretAndStats): a part p counts as (p − centre) /
// scale, and the score is the largest of them. Training sets them to the
// median and 1.4826·MAD of each part on its clean validation frames.
type PartScales struct {
	RegretCentre, RegretScale float64
	ResidCentre, ResidScale   float64
	// NLLScale 0: the NLL after the re-fit is not part of the score.
	NLLCentre, NLLScale float64
}

// PartScales returns the centres and scales of the score's parts.
func (m *Model) PartScales() PartScales {
	q := m.q
	return PartScales{
		RegretCentre: float64(q.CRegret) / one, RegretScale: float64(q.SRegret) / one,
		ResidCentre: float64(q.CResid) / one, ResidScale: float64(q.SResid) / one,
		NLLCentre: float64(q.CNLL) / one, NLLScale: float64(q.SNLL) / one,
	}
}

// WithPartScales returns a copy of m whose score combines its parts with
// the centres and scales s (for scales set on other clean data than the
// training's validation block, as the alarm calibration does). The
// threshold is the caller's to set again: scores change with the scales.
// A model whose score is the regret alone, or without the NLL part,
// cannot take a scale for a part it does not have.
func (m *Model) WithPartScales(s PartScales) (*Model, error) {
	if m.q.Mode != ScoreRegretAndStats {
		return nil, fmt.Errorf("likelihood: the %v score has no parts to scale", m.q.Mode)
	}
	if s.NLLScale > 0 && m.q.SNLL == 0 {
		return nil, fmt.Errorf("likelihood: an NLL part scale given to a model whose score has no NLL part")
	}
	if s.NLLScale <= 0 && m.q.SNLL > 0 {
		return nil, fmt.Errorf("likelihood: the model's score has an NLL part; its scale is missing")
	}
	q := *m.q
	var err error
	set := func(c, sc *int64, centre, scale float64, name string) {
		if err != nil {
			return
		}
		if !(scale > 0) || math.IsInf(scale, 0) || math.IsNaN(centre) || math.IsInf(centre, 0) ||
			math.Abs(centre)*one > 1<<40 || scale*one > 1<<40 {
			err = fmt.Errorf("likelihood: %s part centre %g and scale %g out of range", name, centre, scale)
			return
		}
		*c, *sc = int64(math.Round(centre*one)), max(int64(math.Round(scale*one)), 1)
	}
	set(&q.CRegret, &q.SRegret, s.RegretCentre, s.RegretScale, "regret")
	set(&q.CResid, &q.SResid, s.ResidCentre, s.ResidScale, "residual")
	if s.NLLScale > 0 {
		set(&q.CNLL, &q.SNLL, s.NLLCentre, s.NLLScale, "NLL")
	}
	if err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	cp := *m
	cp.q = &q
	return &cp, nil
}

// Meta returns the training record.
func (m *Model) Meta() TrainMeta { return m.meta }

// Repr returns a copy of the input representation.
func (m *Model) Repr() Repr {
	r := m.repr
	r.Elevations = append([]float32(nil), r.Elevations...)
	r.Center = append([]float64(nil), r.Center...)
	r.Scale = append([]float64(nil), r.Scale...)
	return r
}

// Mode returns what the fixed score reports.
func (m *Model) Mode() ScoreMode { return m.q.Mode }

// Refit returns the re-fit configuration.
func (m *Model) Refit() RefitConfig { return m.refit }

// Info summarises a model for `trustctl inspect`.
type Info struct {
	Kind                sensors.Kind
	Inputs              int    // input dimension D
	ImageInputs         int    // of which image channels
	StatInputs          int    // of which frame statistics
	Shape               string // e.g. "16×64×2"
	Hidden, Latent      int    // encoder hidden H1, latent L
	DecoderHidden       int    // H2
	FloatParams         int
	QuantBytes          int // bytes of quantised tensors
	Refit               RefitConfig
	MACsEncoder         int // encoder + per-frame linear term
	MACsPerDecoderPass  int // through the quadratic form (dense upper bound)
	DecoderPasses       int
	MACsPerScore        int
	MACsNaiveDecoder    int // what the same passes would cost through the full decoder
	Mode                ScoreMode
	RegretCentre        float64 // nats, clean validation median (ScoreRegretAndStats)
	RegretScale         float64
	ResidCentre         float64
	ResidScale          float64
	NLLCentre           float64 // NLL after the re-fit; scale 0: not part of the score
	NLLScale            float64
	Calibration         Calibration
	Meta                TrainMeta
	StatWeight          float64
	ElevationRangeDeg   [2]float64
	ThumbW, ThumbH      int
	LidarRows, LidarAzs int
}

// Info returns the model summary.
func (m *Model) Info() Info {
	r := &m.repr
	n := m.net
	in := Info{
		Kind: r.Kind, Inputs: r.Dims(), ImageInputs: r.ImageDims(), StatInputs: r.StatDims(),
		Hidden: n.H1, Latent: n.L, DecoderHidden: n.H2, FloatParams: len(n.P), Refit: m.refit,
		Calibration: m.cal, Meta: m.meta, StatWeight: r.StatWeight, Mode: m.q.Mode,
		RegretCentre: float64(m.q.CRegret) / one, RegretScale: float64(m.q.SRegret) / one,
		ResidCentre: float64(m.q.CResid) / one, ResidScale: float64(m.q.SResid) / one,
		NLLCentre: float64(m.q.CNLL) / one, NLLScale: float64(m.q.SNLL) / one,
	}
	if r.Kind == sensors.KindLidar {
		in.Shape = fmt.Sprintf("%d×%d×2", len(r.Elevations), r.AzBins)
		in.LidarRows, in.LidarAzs = len(r.Elevations), r.AzBins
		in.ElevationRangeDeg = [2]float64{float64(r.Elevations[0]) * 180 / math.Pi,
			float64(r.Elevations[len(r.Elevations)-1]) * 180 / math.Pi}
	} else {
		in.Shape = fmt.Sprintf("%d×%d×2", r.ThumbH, r.ThumbW)
		in.ThumbW, in.ThumbH = r.ThumbW, r.ThumbH
	}
	if in.StatInputs > 0 {
		in.Shape += fmt.Sprintf(" + %d statistics", in.StatInputs)
	}
	q := m.q
	in.QuantBytes = 2*(len(q.W1)+len(q.Wm)+len(q.Wv)+len(q.W2)+len(q.Wt)) + 2*len(q.B3) + 4*len(q.G) +
		8*(len(q.B1)+len(q.Bm)+len(q.Bv)+len(q.B2)) + 5*(len(q.M1)+len(q.Mm)+len(q.Mv)+len(q.M2)+len(q.Mt)) +
		2*len(q.W3s) + 5*len(q.M3s) + 8*(len(q.B3s)+len(q.Lam)) + 4*len(q.LamX)
	D, H1, L, H2 := n.D, n.H1, n.L, n.H2
	in.MACsEncoder = D*H1 + 2*L*H1 + D*H2
	in.MACsPerDecoderPass = L*H2 + H2*H2 + H2
	c := m.refit
	in.DecoderPasses = c.Samples * (1 + c.Steps*(c.Directions+1))
	in.MACsPerScore = in.MACsEncoder + in.DecoderPasses*in.MACsPerDecoderPass + L*H2 + len(q.B3s)*H2 + 2*len(q.LamX)
	in.MACsNaiveDecoder = in.DecoderPasses * (L*H2 + D*H2)
	return in
}

// String renders the summary as text.
func (in Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kind            %v\n", in.Kind)
	fmt.Fprintf(&b, "representation  %s (%d inputs, statistic weight %g)\n", in.Shape, in.Inputs, in.StatWeight)
	if in.Kind == sensors.KindLidar {
		fmt.Fprintf(&b, "elevations      %.1f° … %.1f°\n", in.ElevationRangeDeg[0], in.ElevationRangeDeg[1])
	}
	fmt.Fprintf(&b, "network         %d → %d → (μ, log σ²) %d → %d → %d\n", in.Inputs, in.Hidden, in.Latent, in.DecoderHidden, in.Inputs)
	fmt.Fprintf(&b, "parameters      %d float, %d bytes quantised\n", in.FloatParams, in.QuantBytes)
	c := in.Refit
	fmt.Fprintf(&b, "refit           K=%d steps × Q=%d directions, S=%d importance samples, c=%g, a=%g\n",
		c.Steps, c.Directions, c.Samples, c.Smoothing, c.Step)
	fmt.Fprintf(&b, "cost            %d MACs per score (encoder %d, %d decoder passes × %d); full decoder would need %d\n",
		in.MACsPerScore, in.MACsEncoder, in.DecoderPasses, in.MACsPerDecoderPass, in.MACsNaiveDecoder)
	fmt.Fprintf(&b, "score           %v", in.Mode)
	if in.Mode == ScoreRegretAndStats {
		fmt.Fprintf(&b, ": max of (regret − %.4g)/%.4g, (statistics residual − %.4g)/%.4g", in.RegretCentre, in.RegretScale, in.ResidCentre, in.ResidScale)
		if in.NLLScale > 0 {
			fmt.Fprintf(&b, ", (NLL after re-fit − %.4g)/%.4g", in.NLLCentre, in.NLLScale)
		}
	}
	b.WriteString("\n")
	k := in.Calibration
	fmt.Fprintf(&b, "threshold       %.4g (target FPR %.3g on %d clean frames; p50 %.4g p90 %.4g p99 %.4g max %.4g)\n",
		k.Threshold, k.TargetFPR, k.Frames, k.P50, k.P90, k.P99, k.Max)
	t := in.Meta
	fmt.Fprintf(&b, "training        seed %d, %d frames (%d skipped): %d train, %d validation, %d calibration; %d epochs (best %d, val loss %.4g); %v\n",
		t.Seed, t.Frames, t.Skipped, t.TrainFrames, t.ValFrames, t.CalFrames, t.Epochs, t.BestEpoch, t.ValLoss, t.Duration.Round(time.Millisecond))
	fmt.Fprintf(&b, "data hash       %x\n", t.DataHash)
	return b.String()
}
