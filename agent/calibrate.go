package agent

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/sensors"
)

// CalibrationQuantile is the per-frame floor of the alarm thresholds set
// by Calibrate: a threshold is never below this quantile of the clean
// scores it was calibrated on.
const CalibrationQuantile = 0.999

// CalibrateOptions configures Calibrate.
type CalibrateOptions struct {
	// Decision is the persistence rule configured on the robot.
	Decision decision.Options
	// AlarmRate is the target rate of false entries into ERROR per hour
	// of clean stream, for each of the two alarms (frame score and health
	// model), extrapolated from the clean runs by decision.AlarmTail; 0
	// means decision.DefaultAlarmRate.
	AlarmRate float64
	// Silence sets each alarm at the level at which the rule would not
	// have fired on the runs (decision.AlarmThreshold) instead, without
	// extrapolating: it fires about once per length of the runs on new
	// clean drive.
	Silence bool
}

// Calibration reports what Calibrate measured and set.
type Calibration struct {
	Runs, Frames int
	// Threshold is the frame-score threshold now in the model: the larger
	// of ScoreQuantile (CalibrationQuantile of the clean scores) and
	// ScoreAlarm (ScoreTail.Threshold, or ScoreTail.Max with Silence).
	Threshold, ScoreQuantile, ScoreAlarm float64
	// HealthError is the health model's ERROR threshold now in the model:
	// the larger of the model's own (HealthOwn, from its calibration block)
	// and HealthAlarm. Zero without a health model.
	HealthError, HealthOwn, HealthAlarm float64
	// ScoreTail and HealthTail are the alarm calibrations.
	ScoreTail, HealthTail decision.Tail
	// Scores are the clean frame scores of each run, in order (nil without
	// a scorer).
	Scores [][]float64
}

// Calibrate sets a sensor model's alarm thresholds on clean drive: runs
// are contiguous stretches of clean frames of one sensor, in order, held
// out from the data the models were trained on. The frame scorer and the
// health autoencoder are run over them as the pipeline runs them, and each
// threshold is set so that the persistence rule (K of N to enter ERROR)
// enters ERROR at opts.AlarmRate per hour of clean stream by the tail
// extrapolated from the runs, and would not have fired on any of them —
// never below the CalibrationQuantile of the clean scores for the frame
// score, nor below the health model's own ERROR threshold. The health
// WARN threshold is unchanged.
//
// Single-frame quantiles alone are not enough: clean scene events (a
// vehicle passing close, a wall filling the view) raise many neighbouring
// frames together, and new drive holds larger episodes than any seen, so
// the alarm level is extrapolated from the tail of the runs' episodes. The
// runs are judged by a Judge each, as trustd judges a stream. The
// returned model shares the scorer with m (reset before each run) and
// carries a copy of the health model.
func Calibrate(ctx context.Context, info sensors.Info, m SensorModel, runs []iter.Seq[sensors.Frame], opts CalibrateOptions) (SensorModel, Calibration, error) {
	var cal Calibration
	rate := opts.AlarmRate
	if rate == 0 {
		rate = decision.DefaultAlarmRate
	}
	alarm := func(runs [][]float64) (decision.Tail, float64, error) {
		t, err := decision.AlarmTail(runs, opts.Decision, info.Period, rate)
		if opts.Silence {
			return t, t.Max, err
		}
		return t, t.Threshold, err
	}
	if m.Scorer == nil && m.Health == nil {
		return m, cal, errors.New("agent: calibrate: the model has neither a scorer nor a health model")
	}
	var scoreRuns, healthRuns [][]float64
	for _, run := range runs {
		// Each run is a stream of its own, judged from a fresh start.
		j, err := NewJudge(JudgeOptions{Kind: info.Kind, Period: info.Period, Model: m, Decision: opts.Decision})
		if err != nil {
			return m, cal, fmt.Errorf("agent: calibrate: %w", err)
		}
		r := NewReplay(j)
		var ss, hs []float64
		for f := range run {
			if err := ctx.Err(); err != nil {
				return m, cal, err
			}
			cal.Frames++
			v := r.Frame(f)
			if v.ScoreErr != nil {
				return m, cal, fmt.Errorf("agent: calibrate: frame %d of run %d: %w", len(ss), cal.Runs, v.ScoreErr)
			}
			if m.Scorer != nil {
				ss = append(ss, v.Score)
			}
			if m.Health != nil {
				if !v.HaveHealth {
					return m, cal, fmt.Errorf("agent: calibrate: frame %d of run %d: no health features", len(hs), cal.Runs)
				}
				hs = append(hs, v.Health.Score)
			}
		}
		cal.Runs++
		scoreRuns, healthRuns = append(scoreRuns, ss), append(healthRuns, hs)
	}
	out := m
	var err error
	if m.Scorer != nil {
		if cal.ScoreTail, cal.ScoreAlarm, err = alarm(scoreRuns); err != nil {
			return m, cal, fmt.Errorf("agent: calibrate frame score: %w", err)
		}
		cal.ScoreQuantile = quantile(slices.Concat(scoreRuns...), CalibrationQuantile)
		cal.Scores = scoreRuns
		cal.Threshold = max(cal.ScoreQuantile, cal.ScoreAlarm)
		out.Threshold = cal.Threshold
	}
	if m.Health != nil {
		if cal.HealthTail, cal.HealthAlarm, err = alarm(healthRuns); err != nil {
			return m, cal, fmt.Errorf("agent: calibrate health: %w", err)
		}
		cal.HealthOwn = m.Health.Error
		cal.HealthError = max(cal.HealthOwn, cal.HealthAlarm)
		h := m.Health.Clone()
		h.Error = cal.HealthError
		out.Health = h
	}
	return out, cal, nil
}

// quantile returns the q-quantile of xs by linear interpolation (xs is
// sorted in place). xs must not be empty.
func quantile(xs []float64, q float64) float64 {
	slices.Sort(xs)
	pos := q * float64(len(xs)-1)
	i := int(pos)
	v := xs[i]
	if i+1 < len(xs) {
		v += (pos - float64(i)) * (xs[i+1] - v)
	}
	if math.IsNaN(v) {
		return math.Inf(1)
	}
	return v
}
