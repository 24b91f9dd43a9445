package training

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/likelihood/features"
	"github.com/sensortrust/trustagent/sensors"
)

// AdvisoryHealthError is the health ERROR threshold of an advisory
// (HealthWarn) health model: far above any score a real feature vector
// reaches (the score is a mean squared error in standard deviations), so
// the model raises WARN only.
//
// Why advisory is the default: in a world none of the training drives saw,
// the health autoencoder's clean scores exceed its 99.9th-percentile
// calibration threshold on almost every frame (the frame statistics it
// sees, such as ring fill and roughness, move with the scene), while the
// VAE's calibrated threshold flags none of them. As an ERROR source it would
// make an unseen scene untrusted; as a WARN source it still names the
// features that moved.
const AdvisoryHealthError = 1e9

// ErrFewHealthFrames is wrapped in Result.HealthSkipped when there are too
// few frames for the health autoencoder; the bundle is made without it.
var ErrFewHealthFrames = errors.New("training: too few frames for the health autoencoder")

// trainHealth computes the per-frame health vectors of every recording
// (the timing window and frame statistics the daemon computes) and trains
// the health autoencoder on them, ordered by arrange like the VAE's frames
// (each recording's vectors are computed in its own order, so the timing
// window and the previous-frame statistics are those of that recording).
// It returns the model and the arranged vectors.
func trainHealth(ctx context.Context, recs []Recording, opts Options) (*health.Model, [][]float64, error) {
	var perRec [][][]float64
	var names []string
	for _, r := range recs {
		var rows [][]float64
		sf, err := health.NewSensorFeatures(opts.Kind, r.Period)
		if err != nil {
			return nil, nil, fmt.Errorf("training: health features: %w", err)
		}
		names = sf.Names()
		for i, f := range r.Frames {
			if err := ctx.Err(); err != nil {
				return nil, nil, fmt.Errorf("training: %w", err)
			}
			v, err := sf.Next(nil, f)
			if err != nil {
				return nil, nil, fmt.Errorf("training: health features of %s: %w", filepath.Join(r.Dir, r.Names[i]), err)
			}
			rows = append(rows, v)
		}
		perRec = append(perRec, rows)
	}
	k := 0
	parts, valFrac, calFrac := arrange(recs, func(Recording) [][]float64 { k++; return perRec[k-1] })
	var rows [][]float64
	for _, p := range parts {
		rows = append(rows, p...)
	}
	if len(rows) < health.MinTrainRows {
		return nil, nil, fmt.Errorf("%w: %d frames, it needs at least %d", ErrFewHealthFrames, len(rows), health.MinTrainRows)
	}
	// Recordings hold one stamp per frame, so they cannot show how frames
	// arrive on the robot: the model leaves arrival timing to the stream
	// checks. Nor does it judge the statistics that describe the scene
	// rather than the sensor, as the VAE's residual does not.
	ignore := health.ArrivalNames()
	if opts.Kind == sensors.KindLidar {
		ignore = append(ignore, features.LidarSceneStats()...)
	}
	if opts.Kind == sensors.KindCamera {
		ignore = append(ignore, features.CameraSceneStats()...)
	}
	m, _, err := health.Train(rows, names, health.TrainOptions{ID: "health-" + opts.ModelID, Seed: opts.Seed, ValFrac: valFrac, CalibFrac: calFrac, Ignore: ignore})
	if err != nil {
		return nil, nil, fmt.Errorf("training: train health model: %w", err)
	}
	if opts.Health == HealthWarn {
		m = m.Clone()
		m.Error = AdvisoryHealthError
	}
	return m, rows, nil
}
