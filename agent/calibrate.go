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

// WarnQuantile is the per-frame floor of the WARN thresholds set by
// Calibrate.
const WarnQuantile = 0.99

// DefaultWarnRate is the default target of false entries into WARN per
// hour of clean stream, for each alarm: two alarms at 2 per hour stay
// within a budget of six WARN entries per sensor and hour with room for
// the extrapolation's error.
const DefaultWarnRate = 2.0

// CalibrateOptions configures Calibrate.
type CalibrateOptions struct {
	// Decision is the persistence rule configured on the robot.
	Decision decision.Options
	// AlarmRate is the target rate of false entries into ERROR per hour
	// of clean stream, for each of the two alarms (frame score and health
	// model), extrapolated from the clean runs by decision.AlarmTail; 0
	// means decision.DefaultAlarmRate.
	AlarmRate float64
	// WarnRate is the same target for entries into WARN (WarnK suspect
	// frames of N); 0 means DefaultWarnRate.
	WarnRate float64
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
	// ScoreWarn and HealthWarn are the WARN thresholds now in the model,
	// set as the ERROR ones are for the WARN rule and rate, never below
	// the WarnQuantile of the clean scores (the health model's own WARN
	// threshold), nor above the ERROR threshold.
	ScoreWarn, HealthWarn float64
	// ScoreTail and HealthTail are the alarm calibrations, ScoreWarnTail
	// and HealthWarnTail the WARN ones.
	ScoreTail, HealthTail, ScoreWarnTail, HealthWarnTail decision.Tail
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
// score, nor below the health model's own ERROR threshold. The WARN
// thresholds are set the same way for the WARN rule (WarnK suspect frames
// of N) at opts.WarnRate, between the WarnQuantile of the clean scores (the
// health model's own WARN threshold) and the ERROR threshold.
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
	rate, wrate := opts.AlarmRate, opts.WarnRate
	if rate == 0 {
		rate = decision.DefaultAlarmRate
	}
	if wrate == 0 {
		wrate = DefaultWarnRate
	}
	// The WARN rule is the ERROR rule with WarnK suspect frames of N.
	errRule := opts.Decision.WithDefaults()
	warnRule := errRule
	warnRule.K = errRule.WarnK
	tail := func(runs [][]float64, rule decision.Options, rate float64) (decision.Tail, float64, error) {
		t, err := decision.AlarmTail(runs, rule, info.Period, rate)
		if opts.Silence {
			return t, t.Max, err
		}
		return t, t.Threshold, err
	}
	alarm := func(runs [][]float64) (decision.Tail, float64, error) { return tail(runs, errRule, rate) }
	warn := func(runs [][]float64) (decision.Tail, float64, error) { return tail(runs, warnRule, wrate) }
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
		all := slices.Concat(scoreRuns...)
		cal.ScoreQuantile = quantile(all, CalibrationQuantile)
		cal.Scores = scoreRuns
		cal.Threshold = max(cal.ScoreQuantile, cal.ScoreAlarm)
		out.Threshold = cal.Threshold
		var w float64
		if cal.ScoreWarnTail, w, err = warn(scoreRuns); err != nil {
			return m, cal, fmt.Errorf("agent: calibrate frame score WARN: %w", err)
		}
		cal.ScoreWarn = min(max(quantile(all, WarnQuantile), w), cal.Threshold)
		out.WarnThreshold = cal.ScoreWarn
	}
	if m.Health != nil {
		if cal.HealthTail, cal.HealthAlarm, err = alarm(healthRuns); err != nil {
			return m, cal, fmt.Errorf("agent: calibrate health: %w", err)
		}
		cal.HealthOwn = m.Health.Error
		cal.HealthError = max(cal.HealthOwn, cal.HealthAlarm)
		var w float64
		if cal.HealthWarnTail, w, err = warn(healthRuns); err != nil {
			return m, cal, fmt.Errorf("agent: calibrate health WARN: %w", err)
		}
		cal.HealthWarn = min(max(m.Health.Warn, w), cal.HealthError)
		h := m.Health.Clone()
		h.Error, h.Warn = cal.HealthError, cal.HealthWarn
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
