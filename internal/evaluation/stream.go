package evaluation

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
)

// Scorer names, as results and the --baselines flag spell them. FixedLR is
// the product's score, the one the judge runs; the others are baselines,
// and Judge ranks frames by the judge's whole evidence (judgeEvidence).
const (
	FixedLR  = "fixed_lr"
	FloatLR  = "float_lr"
	ExactLR  = "exact_lr"
	NLL      = "nll"
	Recon    = "recon"
	HealthAE = "health_ae"
	Judge    = "judge"
)

// Baselines are the names of every baseline scorer, in table order.
func Baselines() []string { return []string{FloatLR, ExactLR, NLL, Recon, HealthAE, Judge} }

// scorerTitle is a scorer's column title in the results table.
func scorerTitle(name string) string {
	return map[string]string{
		FixedLR: "fixed-point approx. LR", FloatLR: "float approx. LR", ExactLR: "exact LR",
		NLL: "NLL", Recon: "reconstruction error", HealthAE: "health autoencoder", Judge: "judge's evidence",
	}[name]
}

// scorerShort is a scorer's legend name in the ROC plots.
func scorerShort(name string) string {
	return map[string]string{
		FixedLR: "fixed LR", FloatLR: "float LR", ExactLR: "exact LR", NLL: "NLL", Recon: "recon. error", HealthAE: "health AE", Judge: "judge",
	}[name]
}

// stream is a recording judged by the replay and scored by every scorer.
type stream struct {
	dir    string
	names  []string
	stamps []time.Time
	scores map[string][]float64
	lines  []Line
	labels []Label // nil for the clean recording
}

// scoreStream runs one recording through the judge and every baseline
// scorer, each on the stream in order, calling tick after each frame.
func scoreStream(ctx context.Context, ms *modelbundle.Models, r training.Recording, scorers []string, exactSteps int, jo JudgeOptions, tick func()) (*stream, error) {
	s := &stream{dir: r.Dir, names: r.Names, scores: map[string][]float64{}}
	rp, err := NewReplay(ms, r.Period, jo)
	if err != nil {
		return nil, err
	}
	type frameScorer interface {
		Score(sensors.Frame) (float64, error)
	}
	base := map[string]frameScorer{}
	for _, name := range scorers {
		switch name {
		case FloatLR:
			base[name] = ms.VAE.NewApproxLRScorer()
		case ExactLR:
			base[name] = ms.VAE.NewExactLRScorer(likelihood.ExactLRConfig{Steps: exactSteps})
		case NLL:
			base[name] = ms.VAE.NewNLLScorer()
		case Recon:
			base[name] = ms.VAE.NewReconScorer()
		}
	}
	healthErr := math.Inf(1)
	if ms.Health != nil {
		healthErr = ms.Health.Error
	}
	for i, f := range r.Frames {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("evaluation: %w", err)
		}
		line := LineOf(rp.Frame(f), f.Head().Stamp, ms.VAE.Threshold())
		line.Frame, line.Index = r.Names[i], i
		s.lines = append(s.lines, line)
		s.stamps = append(s.stamps, f.Head().Stamp)
		for _, name := range scorers {
			v := math.NaN()
			switch name {
			case FixedLR:
				v = line.Score
			case HealthAE:
				if line.Health != nil {
					v = *line.Health
				}
			case Judge:
				v = judgeEvidence(line, healthErr)
			default:
				x, err := base[name].Score(f)
				if err == nil {
					v = x
				}
			}
			if math.IsNaN(v) || math.IsInf(v, 1) {
				// A frame the scorer cannot read is as suspicious as it gets.
				v = math.MaxFloat64
			}
			s.scores[name] = append(s.scores[name], v)
		}
		tick()
	}
	return s, nil
}

// judgeEvidence orders frames by the judge's own evidence against them,
// which is what its decision rests on: a frame whose evidence reached
// ERROR (Line.Bad: the score, the health autoencoder or a content check
// such as the surface hole check) above every other, and otherwise by how
// near the frame comes to ERROR, the larger of score / threshold and
// health error / the health model's ERROR level (healthErr; +Inf when the
// health model cannot raise ERROR). FixedLR ranks the score alone; a
// fault that a check or the health model catches and the score does not
// ranks high here only.
func judgeEvidence(l Line, healthErr float64) float64 {
	r := l.Score
	if l.Threshold > 0 {
		r = l.Score / l.Threshold
	}
	if l.Health != nil && healthErr > 0 && !math.IsInf(healthErr, 1) {
		r = max(r, *l.Health/healthErr)
	}
	// atan maps the ratio into (0, 1) in order, so that a bad frame's
	// 1 + … ranks above every other frame.
	e := math.Atan(r)/math.Pi + 0.5
	if l.Bad {
		e++
	}
	return e
}
