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
	// TailScales rescales the parts of the frame score on the runs before
	// the thresholds are set (see TailScales).
	TailScales bool
	// HealthAlarms sets the health model's ERROR level on the runs alone,
	// so that an advisory model raises ERROR (agent.CalibrateOptions).
	HealthAlarms bool
	// RiseFrames is how many frames in a row the frame score's rise must
	// hold (decision.NewRise); 0 keeps the bundle's.
	RiseFrames int
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
	model := ms.VAE
	if o.TailScales {
		ps, err := TailScales(ctx, model, runs)
		if err != nil {
			return nil, err
		}
		if model, err = model.WithPartScales(ps); err != nil {
			return nil, fmt.Errorf("training: calibrate alarms: %w", err)
		}
	}
	kind := model.Kind()
	info := sensors.Info{Name: kind.String(), Kind: kind, Period: runs[0].Period}
	riseFrames := ms.RiseFrames
	if o.RiseFrames > 0 {
		riseFrames = o.RiseFrames
	}
	sm := agent.SensorModel{Scorer: model.NewFixedScorer(), Threshold: model.Threshold(), Health: ms.Health, RiseFrames: riseFrames}
	cm, cal, err := agent.Calibrate(ctx, info, sm, seqs, agent.CalibrateOptions{Decision: o.Decision, AlarmRate: o.AlarmRate, HealthAlarms: o.HealthAlarms})
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
	vae, err := model.WithCalibration(c)
	if err != nil {
		return nil, fmt.Errorf("training: calibrate alarms: %w", err)
	}
	spec := modelbundle.Spec{VAE: vae, Health: cm.Health, ModelID: ms.Bundle.ModelID, Version: o.Version, Created: o.Created,
		ToolVersion: version.String(), ScoreWarn: cal.ScoreWarn, ScoreRise: cal.RiseLevel,
		RiseFrames: riseFrames, Coverage: ms.Coverage}
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

// Tail scaling of the score's parts.
const (
	// TailQuantile is the quantile of a part's clean values that sets
	// its scale.
	TailQuantile = 0.999
	// tailZ is the standard normal's TailQuantile quantile: a part whose
	// clean values are normal keeps its spread as its scale.
	tailZ = 3.09
)

// TailScales returns the parts' centres and scales for the model's frame
// score on clean runs: each part's centre is its median there, and its
// scale the larger of the model's own and (TailQuantile quantile −
// median) / 3.09, the spread of a normal part with that tail.
//
// Training scales each part by its MAD on the validation block, which
// describes the body of a part, not its tail. On drives in new places the
// regret's clean tail reaches far more MADs than the statistics residual's
// (a new view is new to the thumbnail's decoder, while the residual leaves
// the scene statistics out), so the largest part on a clean frame is the
// regret and a threshold above it leaves faults that move only the
// residual unseen. Scaled by their tails, no part's clean values outweigh
// the others', and one threshold serves all of them.
func TailScales(ctx context.Context, m *likelihood.Model, runs []Run) (likelihood.PartScales, error) {
	var reg, res, nll []float64
	s := m.NewFixedScorer()
	for _, r := range runs {
		s.Reset()
		for f := range r.Frames {
			if err := ctx.Err(); err != nil {
				return likelihood.PartScales{}, fmt.Errorf("training: tail scales: %w", err)
			}
			p, err := s.ScoreParts(f)
			if err != nil {
				continue // an unusable frame has no score on the robot either
			}
			reg, res, nll = append(reg, p.Regret), append(res, p.Resid), append(nll, p.NLLAfter)
		}
	}
	if len(reg) < 1000 {
		return likelihood.PartScales{}, fmt.Errorf("training: tail scales: %d scored frames, want at least 1000", len(reg))
	}
	old := m.PartScales()
	tail := func(v []float64, scale float64) (float64, float64) {
		slices.Sort(v)
		med := v[len(v)/2]
		q := v[int(TailQuantile*float64(len(v)-1))]
		return med, max(scale, (q-med)/tailZ)
	}
	var ps likelihood.PartScales
	ps.RegretCentre, ps.RegretScale = tail(reg, old.RegretScale)
	ps.ResidCentre, ps.ResidScale = tail(res, old.ResidScale)
	if old.NLLScale > 0 {
		ps.NLLCentre, ps.NLLScale = tail(nll, old.NLLScale)
	}
	return ps, nil
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
