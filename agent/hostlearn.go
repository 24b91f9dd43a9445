package agent

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/level"
)

// HostLearner keeps the host's healthy samples and trains the host model
// from them (host.Learner, in the state directory). The agent decides which
// samples are healthy and when to train; Train runs on a goroutine of the
// agent's own and must stop when ctx is done.
type HostLearner interface {
	// Model returns a model learnt before, nil while learning.
	Model() *health.Model
	Progress() host.Progress
	Add(s host.Sample) (host.Progress, error)
	Train(ctx context.Context) (*health.Model, health.TrainReport, error)
	// Reset forgets the samples and the model: learning starts over.
	Reset() error
}

// HostSource says where the host model that judges came from.
type HostSource string

const (
	HostLearnt HostSource = "learnt" // learnt on this robot from its own samples (HostLearner)
	HostBundle HostSource = "bundle" // installed from a signed host bundle (trained elsewhere, pushed)
)

// HostModel is a host model and how the published health names it.
type HostModel struct {
	Model *health.Model
	// ID and Version name it; ID defaults to Model.ID.
	ID, Version string
	Source      HostSource
}

// PhaseState is where the host model is.
type PhaseState string

const (
	PhaseOff      PhaseState = "off"      // no model and nothing learning one
	PhaseLearning PhaseState = "learning" // keeping healthy samples
	PhaseTraining PhaseState = "training" // enough samples; fitting the model
	PhaseJudging  PhaseState = "judging"  // a model judges every sample
)

// HostPhase says where the host model is and how far learning has got.
type HostPhase struct {
	State PhaseState
	// Have of Want healthy samples are kept (learning, training).
	Have, Want int
	// Paused says why the latest sample was not learnt ("" when it was):
	// a sensor or the host was not OK, or the sample log could not be
	// written.
	Paused string
}

func (p HostPhase) String() string {
	switch p.State {
	case PhaseLearning:
		s := fmt.Sprintf("learning: %d of %d samples", p.Have, p.Want)
		if p.Paused != "" {
			s += " (paused: " + p.Paused + ")"
		}
		return s
	case PhaseTraining:
		return fmt.Sprintf("training on %d samples", p.Have)
	}
	return string(p.State)
}

// learnHost keeps s when nothing says the robot is unwell (no host flag,
// no sensor in WARN or ERROR), and starts
// training once there are enough samples. Called with hostMu held.
func (a *Agent) learnHost(ctx context.Context, s host.Sample) {
	l := a.opts.Host.Learner
	ph := &a.hostPhase
	if ph.State != PhaseLearning {
		return
	}
	a.sumMu.Lock()
	sum := a.summary.Level
	a.sumMu.Unlock()
	why := ""
	switch f := s.Flagged(); {
	case f != host.FlagNone:
		why = string(f)
	case sum == level.Warn || sum == level.Error:
		// A sensor in trouble may be the host's doing; a STALE sensor
		// (unplugged, not judged yet) says nothing about the host.
		why = "robot summary " + sum.String()
	}
	if why == "" {
		a.hostRetryIn--
		p, err := l.Add(s)
		ph.Have, ph.Want = p.Have, p.Want
		if err != nil {
			why = "sample log: " + err.Error()
			if ph.Paused != why {
				a.log.Error().Err(err).Msg("host learning paused: cannot keep samples")
			}
		} else if ph.Paused != "" && strings.HasPrefix(ph.Paused, "sample log") {
			a.log.Info().Int("samples", p.Have).Msg("host learning resumed")
		}
	}
	ph.Paused = why
	if why != "" || ph.Have < ph.Want || a.hostRetryIn > 0 || ctx.Err() != nil {
		return
	}
	ph.State = PhaseTraining
	a.log.Info().Int("samples", ph.Have).Msg("host model: training")
	a.hostWG.Go(func() { a.trainHost(ctx) })
}

// trainHost fits the host model and starts judging with it; on failure,
// learning goes on (the ring keeps the latest samples) and training is
// tried again after another tenth of them.
func (a *Agent) trainHost(ctx context.Context) {
	start := time.Now()
	m, rep, err := a.opts.Host.Learner.Train(ctx)
	a.hostMu.Lock()
	if a.hostPhase.State != PhaseTraining { // relearn asked meanwhile
		a.hostMu.Unlock()
		return
	}
	if err != nil {
		a.hostPhase.State = PhaseLearning
		a.hostRetryIn = max(1, a.hostPhase.Want/10)
		a.hostMu.Unlock()
		if ctx.Err() == nil {
			a.log.Error().Err(err).Msg("host model: training failed; learning goes on")
		}
		return
	}
	a.setHostModelLocked(HostModel{Model: m, Source: HostLearnt})
	a.hostMu.Unlock()
	a.log.Info().Str("model", m.ID).Int("samples", rep.TrainRows+rep.ValRows+rep.CalibRows).Int("epochs", rep.Epochs).
		Float64("warn", m.Warn).Float64("error", m.Error).Dur("took", time.Since(start)).Msg("host model learnt; judging")
	a.publishHealth(ctx, a.opts.Clock.Now())
}

// RelearnHost forgets the host model and its samples and starts learning
// again (the relearn-host command): for a machine whose normal changed, a
// new board, a new workload.
func (a *Agent) RelearnHost(ctx context.Context) (HostPhase, error) {
	if a.opts.Host.Learner == nil {
		return HostPhase{}, fmt.Errorf("%w: the host model is not learnt on this robot", ErrOptions)
	}
	if err := a.opts.Host.Learner.Reset(); err != nil {
		return HostPhase{}, fmt.Errorf("agent: relearn host: %w", err)
	}
	a.hostMu.Lock()
	a.setHostModelLocked(HostModel{})
	a.hostLevel = level.OK
	p := a.opts.Host.Learner.Progress()
	a.hostPhase = HostPhase{State: PhaseLearning, Have: p.Have, Want: p.Want}
	ph := a.hostPhase
	a.hostMu.Unlock()
	a.metrics.hostLevel.Set(float64(level.OK))
	a.log.Info().Int("want", ph.Want).Msg("host model forgotten; learning again")
	a.publishHealth(ctx, a.opts.Clock.Now())
	a.summaryChanged(ctx, false)
	return ph, nil
}

// setHostModelLocked swaps the host model and the phase that follows from
// it. Called with hostMu held.
func (a *Agent) setHostModelLocked(hm HostModel) {
	if hm.Model != nil && hm.ID == "" {
		hm.ID = hm.Model.ID
	}
	a.hostModel = hm
	a.hostEval, a.hostHave, a.hostRes, a.hostToldJudging = nil, false, health.Result{}, false
	a.hostRule.Reset()
	switch {
	case hm.Model != nil:
		a.hostEval = hm.Model.NewEvaluator()
		a.hostPhase = HostPhase{State: PhaseJudging}
	case a.opts.Host.Learner != nil:
		p := a.opts.Host.Learner.Progress()
		a.hostPhase = HostPhase{State: PhaseLearning, Have: p.Have, Want: p.Want}
	default:
		a.hostPhase = HostPhase{State: PhaseOff}
	}
}

// hostDetail explains the host level in words an operator can act on: the
// phase while learning, the features that drove the error, in units and
// beside their normal values, while judging. Called with hostMu held.
func (a *Agent) hostDetail() string {
	if a.hostPhase.State != PhaseJudging {
		return a.hostPhase.String()
	}
	if a.hostLevel == level.OK || a.hostEval == nil {
		return ""
	}
	m := a.hostEval.Model()
	parts := make([]string, 0, len(a.hostRes.Reasons))
	for _, r := range a.hostRes.Reasons {
		normal := 0.0
		for i, n := range m.Names {
			if n == r.Feature {
				normal = m.Mean[i]
			}
		}
		parts = append(parts, host.Explain(r.Feature, r.Value, normal))
	}
	return strings.Join(parts, "; ")
}
