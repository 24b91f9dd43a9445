package training

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/version"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/likelihood/features"
	"github.com/sensortrust/trustagent/sensors"
)

// Result is what Train made.
type Result struct {
	Bundle []byte            // the unsigned model bundle
	VAE    *likelihood.Model // the trained, quantised and calibrated VAE
	Health *health.Model     // nil when not trained
	// HealthSkipped says why Health is nil although Options.Health asked
	// for a health model (it wraps ErrFewHealthFrames); nil otherwise.
	HealthSkipped error
	// Coverage of the data, recorded in the bundle; its Warnings say
	// when it is too little or a single scene.
	Coverage modelbundle.Coverage
}

// CoverageOf measures the recordings: frames, separate recordings (turned
// copies, named "dir@angle", count once) and stream time.
func CoverageOf(recs []Recording) modelbundle.Coverage {
	var c modelbundle.Coverage
	seen := map[string]bool{}
	for _, r := range recs {
		c.Frames += len(r.Frames)
		base, _, _ := strings.Cut(r.Dir, "@")
		if !seen[base] {
			seen[base] = true
			c.Scenes++
			c.Seconds += float64(len(r.Frames)) * r.Period.Seconds()
		}
	}
	return c
}

// Train trains the VAE and the health model on the recordings (in order,
// arranged into blocks by their Role) and assembles the bundle. The probes
// of the bundle are the last four frames and health vectors of the
// calibration block.
func Train(ctx context.Context, recs []Recording, opts Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	parts, valFrac, calFrac := arrange(recs, func(r Recording) []sensors.Frame { return r.Frames })
	frames := streamOf(parts)
	if valFrac <= 0 || calFrac <= 0 || valFrac+calFrac >= 0.8 {
		return nil, fmt.Errorf("training: the calibration recordings hold %.0f %% of the frames; give more training frames", 100*calFrac)
	}
	if len(frames) < likelihood.MinFrames {
		return nil, fmt.Errorf("training: %d frames given, training needs at least %d clean frames (a few hundred give a good model)", len(frames), likelihood.MinFrames)
	}
	lo := likelihood.TrainOptions{
		Seed: opts.Seed, TargetFPR: opts.TargetFPR, Epochs: opts.Epochs, ValFraction: valFrac, CalFraction: calFrac,
		Hidden: opts.Hidden, DecoderHidden: opts.Hidden, Latent: opts.Latent,
		ThumbW: opts.ThumbW, AzBins: opts.AzBins,
	}
	if opts.Kind == sensors.KindLidar {
		// The residual judges the sensor, not the street it drives.
		lo.SceneStats = features.LidarSceneStats()
	}
	if opts.Progress != nil {
		lo.Progress = func(p likelihood.Progress) { opts.Progress(Progress{Stage: p.Stage, Done: p.Done, Total: p.Total}) }
	}
	vae, err := likelihood.Train(ctx, frames, lo)
	if err != nil {
		if errors.Is(err, likelihood.ErrTooFewFrames) {
			return nil, fmt.Errorf("training: too few usable frames to train, validate and calibrate: %w", err)
		}
		return nil, fmt.Errorf("training: train vae: %w", err)
	}
	res := &Result{VAE: vae, Coverage: CoverageOf(recs)}
	spec := modelbundle.Spec{VAE: vae, ModelID: opts.ModelID, Version: opts.Version, Created: opts.Created, ToolVersion: version.String(),
		Coverage: res.Coverage}
	for i := len(frames) - 1; i >= 0 && len(spec.ProbeFrames) < 4; i-- {
		if frames[i] != nil {
			spec.ProbeFrames = append(spec.ProbeFrames, frames[i])
		}
	}
	if opts.Health != HealthOff {
		hm, rows, err := trainHealth(ctx, recs, opts)
		switch {
		case errors.Is(err, ErrFewHealthFrames):
			res.HealthSkipped = err
		case err != nil:
			return nil, err
		default:
			res.Health = hm
			spec.Health = hm
			spec.HealthProbes = rows[max(0, len(rows)-4):]
		}
	}
	if res.Bundle, err = modelbundle.Build(spec); err != nil {
		return nil, fmt.Errorf("training: %w", err)
	}
	return res, nil
}

// arrange orders the items of several recordings so that the contiguous
// blocks likelihood.Train holds out come from every recording: the first
// 70 % of each Split recording (training), then the next 10 % of each
// (validation, early stopping), then the last 20 % of each and every
// CalibrateOnly recording whole (threshold calibration). Within a part,
// items keep their order. It returns the parts in order, and the
// validation and calibration fractions of all items.
func arrange[T any](recs []Recording, items func(Recording) []T) (parts [][]T, valFrac, calFrac float64) {
	if len(recs) == 1 && recs[0].Role == Split {
		// One recording stays one stream: its blocks are contiguous.
		return [][]T{items(recs[0])}, 0.1, 0.2
	}
	var head, val, cal [][]T
	var nv, nc, n int
	for _, r := range recs {
		it := items(r)
		n += len(it)
		if r.Role == CalibrateOnly {
			cal = append(cal, it)
			nc += len(it)
			continue
		}
		a, b := len(it)*7/10, len(it)*8/10
		head = append(head, it[:a])
		val = append(val, it[a:b])
		cal = append(cal, it[b:])
		nv += b - a
		nc += len(it) - b
	}
	for _, p := range [][][]T{head, val, cal} {
		for _, q := range p {
			if len(q) > 0 {
				parts = append(parts, q)
			}
		}
	}
	if n == 0 {
		return parts, 0.1, 0.2
	}
	return parts, float64(nv) / float64(n), float64(nc) / float64(n)
}

// streamOf joins arranged frame parts into one sequence for
// likelihood.Train with a nil frame between parts: Train skips it and
// forgets the previous frame, so no statistic compares frames of two
// different recordings.
func streamOf(parts [][]sensors.Frame) []sensors.Frame {
	var out []sensors.Frame
	for i, p := range parts {
		if i > 0 {
			out = append(out, nil)
		}
		out = append(out, p...)
	}
	return out
}
