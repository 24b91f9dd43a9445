package evaluation

import (
	"context"
	"fmt"
	"slices"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/report"
	"github.com/sensortrust/trustagent/internal/training"
)

// Options say how Evaluate scores and judges.
type Options struct {
	// Baselines are the scorers compared with FixedLR, in table order (see
	// Baselines; repeats are dropped).
	Baselines []string
	// ExactSteps are the Adam steps of the ExactLR re-fit (0: the scorer's
	// default).
	ExactSteps int
	Judge      JudgeOptions
	// Progress, when not nil, is called after each frame is scored: done of
	// total frames of the stage named stage ("score" for Evaluate, the set's
	// name for EvaluateSets).
	Progress func(stage string, done, total int)
}

// Faulted is a recording with faults and its labels, one per frame.
type Faulted struct {
	Recording training.Recording
	Labels    []Label
}

// Evaluation is the outcome of Evaluate: the numbers and the results table,
// and the scores the HTML report plots.
type Evaluation struct {
	Result *Result
	Table  report.Table
	// streams[0] is the clean recording.
	streams []*stream
}

// Evaluate judges the clean and the faulted recordings with the model (at
// path model, as the results name it) and computes the detection metrics:
// the altered frames of each fault and severity are the positives, the
// clean frames the negatives. An unknown baseline, HealthAE for a model
// without a health autoencoder and invalid judge options give errors that
// wrap ErrOptions.
func Evaluate(ctx context.Context, ms *modelbundle.Models, model string, clean training.Recording, faulted []Faulted, o Options) (*Evaluation, error) {
	total := len(clean.Frames)
	for _, f := range faulted {
		if len(f.Labels) != len(f.Recording.Frames) {
			return nil, fmt.Errorf("evaluation: %s: %d labels for %d frames", f.Recording.Dir, len(f.Labels), len(f.Recording.Frames))
		}
		total += len(f.Recording.Frames)
	}
	next := func(i int) (Faulted, error) { return faulted[i], nil }
	return evaluateStreams(ctx, ms, model, clean, len(faulted), next, total, o, "")
}

// evaluateStreams is Evaluate on n faulted recordings that next makes one
// at a time, so that only one is in memory; total is the frames to score,
// for progress; set, when not "", names the evaluation in errors.
func evaluateStreams(ctx context.Context, ms *modelbundle.Models, model string, clean training.Recording, n int, next func(int) (Faulted, error), total int, o Options, set string) (*Evaluation, error) {
	where := "evaluation: "
	if set != "" {
		where += set + ": "
	}
	scorers := []string{FixedLR}
	for _, b := range o.Baselines {
		if !slices.Contains(Baselines(), b) {
			return nil, fmt.Errorf("%w: unknown baseline %q", ErrOptions, b)
		}
		if b == HealthAE && ms.Health == nil {
			return nil, fmt.Errorf("%w: the model has no health autoencoder for the %s baseline", ErrOptions, HealthAE)
		}
		if !slices.Contains(scorers, b) {
			scorers = append(scorers, b)
		}
	}
	done := 0
	tick := func() {
		done++
		if o.Progress != nil {
			o.Progress("score", done, total)
		}
	}
	s, err := scoreStream(ctx, ms, clean, scorers, o.ExactSteps, o.Judge, tick)
	if err != nil {
		return nil, err
	}
	streams := []*stream{s}
	for i := range n {
		f, err := next(i)
		if err != nil {
			return nil, fmt.Errorf("%s%w", where, err)
		}
		s, err := scoreStream(ctx, ms, f.Recording, scorers, o.ExactSteps, o.Judge, tick)
		if err != nil {
			return nil, err
		}
		s.labels = f.Labels
		streams = append(streams, s)
	}
	res, err := metrics(model, ms.VAE.Kind().String(), ms.VAE.Threshold(), streams, scorers, o.Judge.Persistence.WithDefaults().K)
	if err != nil {
		return nil, fmt.Errorf("%s%w", where, err)
	}
	return &Evaluation{Result: res, Table: Table(res), streams: streams}, nil
}
