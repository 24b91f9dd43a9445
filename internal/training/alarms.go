package training

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/version"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
)

// Run is one contiguous stream of clean frames, read once.
type Run struct {
	Frames iter.Seq[sensors.Frame]
	Period time.Duration
}

// RunOf is the recording as a run.
func RunOf(r Recording) Run { return Run{Frames: slices.Values(r.Frames), Period: r.Period} }

// AlarmOptions configure CalibrateAlarms.
type AlarmOptions struct {
	// Decision is the persistence rule configured on the robots.
	Decision agent.Persistence
	// AlarmRate is the target of false entries into ERROR per hour of
	// clean stream, for each alarm; 0: agent.DefaultAlarmRate.
	AlarmRate float64
	// Version and Created of the new bundle.
	Version uint64
	Created time.Time
}

// Alarms is what CalibrateAlarms made.
type Alarms struct {
	Bundle []byte // the unsigned bundle with the new thresholds
	agent.Calibration
	// PreviousThreshold is the model's frame-score threshold before.
	PreviousThreshold float64
}

// CalibrateAlarms sets the alarm thresholds of a bundle's models on clean
// runs held out from training (agent.Calibrate: each alarm enters ERROR at
// the target rate by the tail of the runs' clean episodes, and never below
// the 99.9th percentile of the clean scores or the health model's own ERROR
// threshold; an advisory health model stays advisory), and builds the new
// bundle. The probes are the last frames of the last run.
func CalibrateAlarms(ctx context.Context, ms *modelbundle.Models, runs []Run, o AlarmOptions) (*Alarms, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("training: calibrate alarms: no clean runs")
	}
	// The last frames of the last run become the probes.
	const keep = 64
	var tail []sensors.Frame
	seqs := make([]iter.Seq[sensors.Frame], len(runs))
	for i, r := range runs {
		seqs[i] = r.Frames
	}
	lastRun := runs[len(runs)-1].Frames
	seqs[len(seqs)-1] = func(yield func(sensors.Frame) bool) {
		for f := range lastRun {
			if len(tail) == 2*keep {
				tail = append(tail[:0], tail[keep:]...)
			}
			tail = append(tail, f)
			if !yield(f) {
				return
			}
		}
	}
	kind := ms.VAE.Kind()
	info := sensors.Info{Name: kind.String(), Kind: kind, Period: runs[0].Period}
	sm := agent.SensorModel{Scorer: ms.VAE.NewFixedScorer(), Threshold: ms.VAE.Threshold(), Health: ms.Health}
	cm, cal, err := agent.Calibrate(ctx, info, sm, seqs, agent.CalibrateOptions{Decision: o.Decision, AlarmRate: o.AlarmRate})
	if err != nil {
		return nil, fmt.Errorf("training: calibrate alarms: %w", err)
	}
	// The bundle's clean-score statistics describe the runs; the per-frame
	// rate is the floor's.
	c, err := likelihood.CalibrationOf(slices.Concat(cal.Scores...), 1-agent.CalibrationQuantile)
	if err != nil {
		return nil, fmt.Errorf("training: calibrate alarms: %w", err)
	}
	c.Threshold = cal.Threshold
	vae, err := ms.VAE.WithCalibration(c)
	if err != nil {
		return nil, fmt.Errorf("training: calibrate alarms: %w", err)
	}
	spec := modelbundle.Spec{VAE: vae, Health: cm.Health, ModelID: ms.Bundle.ModelID, Version: o.Version, Created: o.Created,
		ToolVersion: version.String(), ScoreWarn: cal.ScoreWarn, Coverage: ms.Coverage}
	last := Recording{Dir: "calibration", Frames: tail, Period: runs[len(runs)-1].Period}
	for i := range last.Frames {
		last.Names = append(last.Names, fmt.Sprintf("%06d", i))
	}
	for i := len(last.Frames) - 1; i >= 0 && len(spec.ProbeFrames) < 4; i-- {
		spec.ProbeFrames = append(spec.ProbeFrames, last.Frames[i])
	}
	if cm.Health != nil {
		if spec.HealthProbes, err = HealthRows(last, cm.Health, 4); err != nil {
			return nil, err
		}
	}
	data, err := modelbundle.Build(spec)
	if err != nil {
		return nil, fmt.Errorf("training: calibrate alarms: %w", err)
	}
	return &Alarms{Bundle: data, Calibration: cal, PreviousThreshold: ms.VAE.Threshold()}, nil
}

// HealthRows returns the health feature vectors of the last n frames of r,
// as trustd's judge computes them (the bundle's health probes).
func HealthRows(r Recording, hm *agent.HealthModel, n int) ([][]float64, error) {
	if len(r.Frames) == 0 {
		return nil, fmt.Errorf("training: health features of %s: no frames", r.Dir)
	}
	j, err := agent.NewJudge(agent.JudgeOptions{Kind: r.Frames[0].Kind(), Period: r.Period, Model: agent.SensorModel{Health: hm}})
	if err != nil {
		return nil, err
	}
	rp := agent.NewReplay(j)
	var rows [][]float64
	for i, f := range r.Frames {
		if v := rp.Frame(f); !v.HaveHealth {
			return nil, fmt.Errorf("training: health features of %s: frame %s has none", r.Dir, r.Names[i])
		}
		if len(r.Frames)-i <= n {
			rows = append(rows, slices.Clone(j.HealthFeatures()))
		}
	}
	return rows, nil
}
