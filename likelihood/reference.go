package likelihood

import (
	"math"

	"github.com/sensortrust/trustagent/sensors"
)

// The float reference scorers: what the fixed-point score is checked and
// compared against. None of them runs on the robot.

// floatScorer shares the encoding of the float baselines.
type floatScorer struct {
	m   *Model
	enc *encoder
	x   []float64
	eng *floatEngine
}

func (m *Model) newFloatScorer() floatScorer {
	return floatScorer{m: m, enc: newEncoder(&m.repr), x: make([]float64, m.repr.Dims()),
		eng: newFloatEngine(m.net, m.weight, m.refit)}
}

func (s *floatScorer) Kind() sensors.Kind { return s.m.repr.Kind }
func (s *floatScorer) Reset()             { s.enc.reset() }

func (s *floatScorer) input(f sensors.Frame) error {
	if err := s.enc.raw(s.x, f); err != nil {
		return err
	}
	s.m.repr.standardize(s.x)
	return nil
}

// ApproxLRScorer is the approximated Likelihood Regret in float64 on the
// float weights: the reference for FixedScorer (same algorithm and random
// tables).
type ApproxLRScorer struct{ floatScorer }

// NewApproxLRScorer returns the float approximated-LR scorer.
func (m *Model) NewApproxLRScorer() *ApproxLRScorer { return &ApproxLRScorer{m.newFloatScorer()} }

// Score implements Scorer.
func (s *ApproxLRScorer) Score(f sensors.Frame) (float64, error) {
	if err := s.input(f); err != nil {
		return 0, err
	}
	s.eng.prepare(s.x)
	return s.eng.refit(), nil
}

// NLLScorer is the importance-weighted negative log-likelihood (nats) with
// the encoder's posterior as proposal.
type NLLScorer struct{ floatScorer }

// NewNLLScorer returns the NLL baseline.
func (m *Model) NewNLLScorer() *NLLScorer { return &NLLScorer{m.newFloatScorer()} }

// Score implements Scorer.
func (s *NLLScorer) Score(f sensors.Frame) (float64, error) {
	if err := s.input(f); err != nil {
		return 0, err
	}
	s.eng.prepare(s.x)
	return s.eng.iwnll(s.eng.tau), nil
}

// ReconScorer is the reconstruction error: Σᵢ ωᵢ (xᵢ − x̂ᵢ(μ))² on the
// standardised input, decoding the posterior mean.
type ReconScorer struct {
	floatScorer
	a *act
}

// NewReconScorer returns the reconstruction-error baseline.
func (m *Model) NewReconScorer() *ReconScorer {
	return &ReconScorer{m.newFloatScorer(), newAct(m.net)}
}

// Score implements Scorer.
func (s *ReconScorer) Score(f sensors.Frame) (float64, error) {
	if err := s.input(f); err != nil {
		return 0, err
	}
	n := s.m.net
	n.encode(s.a, s.x)
	n.decodeHidden(s.a.a2, s.a.h2, s.a.mu)
	n.decodeMean(s.a.xh, s.a.h2)
	var e float64
	for i, v := range s.x {
		d := v - s.a.xh[i]
		e += s.m.weight[i] * d * d
	}
	return e / float64(len(s.x)), nil
}

// ExactLRConfig sets the exact Likelihood Regret: Adam re-fit of the whole
// encoder on one frame's negative ELBO (Xiao et al. 2020, Alg. 1).
type ExactLRConfig struct {
	Steps        int     // [50]
	LearningRate float64 // [1e-3]
}

// ExactLRScorer is the exact Likelihood Regret in float: NLL with the
// trained encoder minus NLL with an encoder re-fitted by gradient to this
// frame, both with the same importance samples. It is the slow reference.
type ExactLRScorer struct {
	floatScorer
	cfg      ExactLRConfig
	work     *net // encoder copy being re-fitted
	grad     *net
	m1, m2   []float64
	a        *act
	dh1, dh2 []float64
	eps      []float64 // fresh ε per step from a fixed per-frame table
}

// NewExactLRScorer returns the exact-LR reference scorer.
func (m *Model) NewExactLRScorer(cfg ExactLRConfig) *ExactLRScorer {
	if cfg.Steps <= 0 {
		cfg.Steps = 50
	}
	if !(cfg.LearningRate > 0) {
		cfg.LearningRate = 1e-3
	}
	fs := m.newFloatScorer()
	work := m.net.clone()
	t := newRefitTables(RefitConfig{Samples: cfg.Steps, Seed: m.refit.Seed + 7}, m.net.L)
	return &ExactLRScorer{floatScorer: fs, cfg: cfg, work: work, grad: work.view(make([]float64, len(work.P))),
		m1: make([]float64, len(work.P)), m2: make([]float64, len(work.P)), a: newAct(work),
		dh1: make([]float64, work.H1), dh2: make([]float64, work.H2), eps: toFloat(t.eps)}
}

// Score implements Scorer.
func (s *ExactLRScorer) Score(f sensors.Frame) (float64, error) {
	if err := s.input(f); err != nil {
		return 0, err
	}
	s.eng.prepare(s.x)
	before := s.eng.iwnll(s.eng.tau)
	// Re-fit a copy of the encoder (decoder frozen).
	copy(s.work.P, s.m.net.P)
	clear(s.m1)
	clear(s.m2)
	n := s.work
	encParams := len(n.W1) + len(n.B1) + len(n.Wm) + len(n.Bm) + len(n.Wv) + len(n.Bv)
	const b1, b2, adamEps = 0.9, 0.999, 1e-8
	L := n.L
	for k := 0; k < s.cfg.Steps; k++ {
		clear(s.grad.P)
		copy(s.a.eps, s.eps[k*L:(k+1)*L])
		n.lossGrad(s.grad, s.a, s.x, s.m.weight, 1, s.dh2, s.dh1)
		t := float64(k + 1)
		lr := s.cfg.LearningRate * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t))
		for i := 0; i < encParams; i++ {
			g := s.grad.P[i]
			s.m1[i] = b1*s.m1[i] + (1-b1)*g
			s.m2[i] = b2*s.m2[i] + (1-b2)*g*g
			n.P[i] -= lr * s.m1[i] / (math.Sqrt(s.m2[i]) + adamEps)
		}
	}
	n.encode(s.a, s.x)
	copy(s.eng.tau[:L], s.a.mu)
	for j := 0; j < L; j++ {
		s.eng.tau[L+j] = math.Max(minLogVar, math.Min(maxLogVar, s.a.s[j]))
	}
	return before - s.eng.iwnll(s.eng.tau), nil
}

// Compile-time checks.
var (
	_ Scorer = (*ApproxLRScorer)(nil)
	_ Scorer = (*NLLScorer)(nil)
	_ Scorer = (*ReconScorer)(nil)
	_ Scorer = (*ExactLRScorer)(nil)
)
