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
	// HealthAlarms sets the health model's ERROR threshold on the runs
	// alone: HealthAlarm, never below the CalibrationQuantile of their
	// health scores, instead of never below the model's own threshold. An
	// advisory health model then raises ERROR. It is for runs of the
	// robot's own operating area, where the model's alarms hold.
	HealthAlarms bool
}

// Calibration reports what Calibrate measured and set.
type Calibration struct {
	Runs, Frames int
	// Threshold is the frame-score threshold now in the model: the larger
	// of ScoreQuantile (CalibrationQuantile of the clean scores) and
	// ScoreAlarm (ScoreTail.Threshold, or ScoreTail.Max with Silence).
	Threshold, ScoreQuantile, ScoreAlarm float64
	// HealthError is the health model's ERROR threshold now in the model:
	// the larger of the model's own (HealthOwn, from its calibration block;
	// with HealthAlarms, the CalibrationQuantile of the runs' health
	// scores instead) and HealthAlarm. Zero without a health model.
	HealthError, HealthOwn, HealthAlarm float64
	// RiseLevel is the frame score's rise alarm level now in the model
	// (SensorModel.RiseLevel): the rises of the runs' scores
	// (decision.Rises) calibrated as the frame score is, by RiseTail,
	// never below their CalibrationQuantile.
	RiseLevel float64
	RiseTail  decision.Tail
	// ScoreWarn and HealthWarn are the WARN thresholds now in the model,
	// set as the ERROR ones are for the WARN rule and rate, never below
	// the WarnQuantile of the clean scores (the health model's own WARN
	// threshold), nor above the ERROR threshold.
	ScoreWarn, HealthWarn float64
	// With the sustained rule on, the WARN thresholds are the clean runs'
	// SuspectQuantile (see SuspectQuantiles), and SustainMax is the most
	// suspect frames by them in any window of SustainN frames of the runs.
	SuspectQuantile float64
	SustainMax      int
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
// health model's own WARN threshold) and the ERROR threshold; with the
// sustained rule on (decision.Options.SustainK), they are the lowest of
// SuspectQuantiles of the clean scores at which no window of the runs comes
// within SustainMargin of firing that rule, so that a weak fault's frames
// stay suspect.
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
	// With the sustained rule on, a suspect frame is one of the least
	// normal of the clean runs (suspectLevels): frames of a weak fault that
	// stay there enter ERROR by that rule, so the WARN thresholds stay low
	// instead of rising to the WARN rule's rate.
	sustain := errRule.SustainK > 0
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
		rises := make([][]float64, len(scoreRuns))
		for i, run := range scoreRuns {
			if rises[i], err = decision.Rises(run, m.RiseFrames); err != nil {
				return m, cal, fmt.Errorf("agent: calibrate frame score rise: %w", err)
			}
		}
		var ra float64
		if cal.RiseTail, ra, err = alarm(rises); err != nil {
			return m, cal, fmt.Errorf("agent: calibrate frame score rise: %w", err)
		}
		cal.RiseLevel = max(quantile(slices.Concat(rises...), CalibrationQuantile), ra)
		out.RiseLevel = cal.RiseLevel
	}
	if m.Health != nil {
		if cal.HealthTail, cal.HealthAlarm, err = alarm(healthRuns); err != nil {
			return m, cal, fmt.Errorf("agent: calibrate health: %w", err)
		}
		cal.HealthOwn = m.Health.Error
		floor := cal.HealthOwn
		if opts.HealthAlarms {
			floor = quantile(slices.Concat(healthRuns...), CalibrationQuantile)
		}
		cal.HealthError = max(floor, cal.HealthAlarm)
		var w float64
		if cal.HealthWarnTail, w, err = warn(healthRuns); err != nil {
			return m, cal, fmt.Errorf("agent: calibrate health WARN: %w", err)
		}
		cal.HealthWarn = min(max(m.Health.Warn, w), cal.HealthError)
		h := m.Health.Clone()
		h.Error, h.Warn = cal.HealthError, cal.HealthWarn
		out.Health = h
	}
	if sustain {
		cal.SuspectQuantile, cal.ScoreWarn, cal.HealthWarn, cal.SustainMax = suspectLevels(scoreRuns, healthRuns, cal.Threshold, cal.HealthError, errRule)
		out.WarnThreshold = cal.ScoreWarn
		if out.Health != nil {
			out.Health.Warn = cal.HealthWarn
		}
	}
	return out, cal, nil
}

// SuspectQuantiles are the per-frame quantiles of the clean runs that
// Calibrate tries as the suspect (WARN) levels for the sustained rule,
// lowest first, and SustainMargin the share of SustainK the runs may reach
// at the chosen one.
var SuspectQuantiles = [...]float64{0.99, 0.995, 0.999}

// SustainMargin: at the suspect levels chosen, no window of SustainN frames
// of the clean runs holds more than this share of SustainK suspect ones.
const SustainMargin = 0.8

// suspectLevels returns the lowest of SuspectQuantiles at which the clean
// runs keep the sustained rule within SustainMargin of firing (else the
// highest), the frame score's and the health model's levels there (never
// above their ERROR thresholds), and the most suspect frames in a window.
func suspectLevels(scoreRuns, healthRuns [][]float64, scoreErr, healthErr float64, rule decision.Options) (q, sw, hw float64, most int) {
	ss, hs := slices.Concat(scoreRuns...), slices.Concat(healthRuns...)
	for _, q = range SuspectQuantiles {
		// A channel without runs keeps level 0; mostSuspect never reads it.
		if len(ss) > 0 {
			sw = min(quantile(ss, q), scoreErr)
		}
		if len(hs) > 0 {
			hw = min(quantile(hs, q), healthErr)
		}
		most = mostSuspect(scoreRuns, healthRuns, sw, hw, rule.SustainN)
		if float64(most) <= SustainMargin*float64(rule.SustainK) {
			break
		}
	}
	return q, sw, hw, most
}

// mostSuspect returns the most frames in any window of n frames of a run
// whose score exceeds sw or whose health score exceeds hw (runs without a
// channel are nil).
func mostSuspect(scoreRuns, healthRuns [][]float64, sw, hw float64, n int) int {
	most := 0
	for i := range max(len(scoreRuns), len(healthRuns)) {
		var ss, hs []float64
		if i < len(scoreRuns) {
			ss = scoreRuns[i]
		}
		if i < len(healthRuns) {
			hs = healthRuns[i]
		}
		sus := make([]bool, max(len(ss), len(hs)))
		for j := range sus {
			sus[j] = j < len(ss) && ss[j] > sw || j < len(hs) && hs[j] > hw
		}
		c := 0
		for j, s := range sus {
			if s {
				c++
			}
			if j >= n && sus[j-n] {
				c--
			}
			most = max(most, c)
		}
	}
	return most
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
