package likelihood

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/sensortrust/trustagent/likelihood/features"
	"github.com/sensortrust/trustagent/sensors"
)

// FixedScorer is the approximated Likelihood Regret in integer fixed point,
// the score the robot runs. The frame is encoded in float (representation
// and statistics), quantised to int16 (Q11), and everything after that is integer
// (see ScoreProbe). Score allocates nothing once warmed up.
type FixedScorer struct {
	m   *Model
	enc *encoder
	raw []float64
	in  []int16
	eng *fixedEngine
}

// NewFixedScorer returns a fixed-point scorer for the model.
func (m *Model) NewFixedScorer() *FixedScorer {
	c := m.refit
	return &FixedScorer{
		m: m, enc: newEncoder(&m.repr), raw: make([]float64, m.repr.Dims()), in: make([]int16, m.repr.Dims()),
		eng: newFixedEngine(m.q, c, newRefitTables(c, m.q.L), q12(c.Smoothing), q12(c.Step)),
	}
}

// Kind implements Scorer.
func (s *FixedScorer) Kind() sensors.Kind { return s.m.repr.Kind }

// Reset implements Scorer.
func (s *FixedScorer) Reset() { s.enc.reset() }

// Score implements Scorer: ScoreInt / 4096, in nats (ScoreRegret) or robust
// z-score units (ScoreRegretAndStats).
func (s *FixedScorer) Score(f sensors.Frame) (float64, error) {
	v, err := s.ScoreInt(f)
	return float64(v) / one, err
}

// ScoreInt returns the integer score (Q12 nats), bit-exact across
// architectures for the same int16 input.
func (s *FixedScorer) ScoreInt(f sensors.Frame) (int64, error) {
	return s.scoreInt(f, nil)
}

// ScoreStats is Score with the frame's statistics computed by the caller:
// stats must be what a features.LidarExtractor or features.CameraExtractor
// fed the same stream returns for f (len StatNames), so that a pipeline that
// needs the statistics for its own checks computes them once per frame. The
// scorer's own extractor is then not used; do not mix the two on one stream.
func (s *FixedScorer) ScoreStats(f sensors.Frame, stats []float64) (float64, error) {
	if stats == nil {
		return 0, fmt.Errorf("likelihood: %w: nil statistics", ErrBadFrame)
	}
	if s.m.repr.Channels == ChannelsWithStats && len(stats) != len(s.enc.stats) {
		return 0, fmt.Errorf("likelihood: %w: %d statistics, model takes %d", ErrBadFrame, len(stats), len(s.enc.stats))
	}
	v, err := s.scoreInt(f, stats)
	return float64(v) / one, err
}

func (s *FixedScorer) scoreInt(f sensors.Frame, stats []float64) (int64, error) {
	if err := s.enc.rawWith(s.raw, f, stats); err != nil {
		return 0, err
	}
	s.m.repr.standardize(s.raw)
	quantizeInput(s.in, s.raw)
	return s.eng.score(s.in), nil
}

// Parts are the parts of the fixed score of one frame, in nats.
type Parts struct {
	// Regret: the approximated Likelihood Regret, NLL(τ₀) − NLL(τ_K).
	Regret float64
	// Resid: the statistics residual at the re-fitted posterior mean (0
	// when the model has no statistic inputs).
	Resid float64
	// NLLAfter: the importance-weighted NLL at the re-fitted posterior,
	// without the model's constant (0 in a format-3 model).
	NLLAfter float64
}

// ScoreParts returns the parts of the fixed score. Score combines them
// according to the model's mode.
func (s *FixedScorer) ScoreParts(f sensors.Frame) (Parts, error) {
	if err := s.enc.raw(s.raw, f); err != nil {
		return Parts{}, err
	}
	s.m.repr.standardize(s.raw)
	quantizeInput(s.in, s.raw)
	a, b, c := s.eng.parts(s.in)
	return Parts{Regret: float64(a) / one, Resid: float64(b) / one, NLLAfter: float64(c) / one}, nil
}

// EncodeProbe returns the model input of one frame as bytes (int16 Q11,
// little-endian two's complement, two bytes per input), for the firmware
// self-test. Statistics that compare with a previous frame are imputed as
// for a stream's first frame.
func (m *Model) EncodeProbe(f sensors.Frame) ([]byte, error) {
	enc := newEncoder(&m.repr)
	raw := make([]float64, m.repr.Dims())
	if err := enc.raw(raw, f); err != nil {
		return nil, err
	}
	m.repr.standardize(raw)
	in := make([]int16, len(raw))
	quantizeInput(in, raw)
	b := make([]byte, 0, 2*len(in))
	for _, v := range in {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b, nil
}

// ScoreProbe returns the integer score (Q12 nats) of an input made by
// EncodeProbe. It is integer-only: the same bytes give the same score on
// every architecture.
func (m *Model) ScoreProbe(input []byte) (int64, error) {
	if len(input) != 2*m.repr.Dims() {
		return 0, fmt.Errorf("likelihood: probe input has %d bytes, model takes %d (2 per input)", len(input), 2*m.repr.Dims())
	}
	in := make([]int16, m.repr.Dims())
	for i := range in {
		v := int16(binary.LittleEndian.Uint16(input[2*i:]))
		if v > inputMax || v < -inputMax {
			return 0, fmt.Errorf("likelihood: probe input %d is %d, outside the input range ±%d", i, v, int(inputMax))
		}
		in[i] = v
	}
	c := m.refit
	eng := newFixedEngine(m.q, c, newRefitTables(c, m.q.L), q12(c.Smoothing), q12(c.Step))
	return eng.score(in), nil
}

// Compile-time checks.
var _ Scorer = (*FixedScorer)(nil)

// Reason is one statistic's share of the statistics residual.
type Reason struct {
	Name string  // feature name (features.LidarNames or CameraNames)
	Nats float64 // ½ Λᵢ (xᵢ − x̂ᵢ)² at the re-fitted posterior mean
}

// Reasons returns up to n statistics with the largest residual terms for
// the frame last scored (by Score, ScoreInt or ScoreParts), largest first:
// what the model could not explain. It allocates; call it only for frames
// over the threshold. Nil when the model has no statistic inputs.
func (s *FixedScorer) Reasons(n int) []Reason {
	q := s.eng.q
	if len(q.B3s) == 0 || n <= 0 {
		return nil
	}
	names := features.CameraNames()
	if s.m.repr.Kind == sensors.KindLidar {
		names = features.LidarNames()
	}
	s.eng.residual(s.in) // leaves h at the re-fitted mean
	out := make([]Reason, 0, len(q.B3s))
	for i := range q.B3s {
		name := fmt.Sprintf("stat%d", i)
		if i < len(names) {
			name = names[i]
		}
		out = append(out, Reason{Name: name, Nats: 0.5 * float64(s.eng.statTerm(s.in, i)) / one})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Nats > out[b].Nats })
	return out[:min(n, len(out))]
}
