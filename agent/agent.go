package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/fusion"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// Agent runs the trust pipeline for a robot's sensors. Build it with New,
// run it once with Run.
type Agent struct {
	opts    Options
	log     zerolog.Logger
	metrics *metrics
	pipes   []*pipe
	byName  map[string]*pipe

	running  atomic.Bool
	progress atomic.Uint64

	sumMu   sync.Mutex
	pubSum  sync.Mutex // keeps summary publications in order
	summary fusion.Summary
	sumSeq  uint64

	hostMu    sync.Mutex
	hostModel HostModel // what judges the host (Model nil while none does)
	hostEval  *health.Evaluator
	hostRes   health.Result
	hostHave  bool
	hostLast  host.Sample
	hostLevel level.Level
	hostRule  *host.Persistence
	hostPhase HostPhase
	hostWG    sync.WaitGroup // host model training
	// hostRetryIn counts the healthy samples still to learn before
	// training is tried again after a failure.
	hostRetryIn int
	// hostToldJudging is set once the collector has been told the
	// current model judges (host.JudgingAware).
	hostToldJudging bool
}

// New validates opts, fills in the defaults and builds the agent. It does
// no I/O and starts nothing.
func New(opts Options) (*Agent, error) {
	opts.fill()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("agent: metrics: %w", err)
	}
	if opts.Sequencer == nil {
		opts.Sequencer = &memSequencer{n: map[string]uint64{}}
	}
	a := &Agent{opts: opts, log: *opts.Logger, metrics: m, byName: map[string]*pipe{}}
	for _, so := range opts.Sensors {
		p, err := newPipe(a, so)
		if err != nil {
			return nil, fmt.Errorf("%w: sensor %s: %w", ErrOptions, so.Source.Info().Name, err)
		}
		a.pipes = append(a.pipes, p)
		a.byName[p.name] = p
	}
	if a.hostRule, err = host.NewPersistence(opts.Host.Persistence); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	hm := HostModel{Model: opts.Host.Model, ID: opts.Host.ID, Version: opts.Host.Version, Source: opts.Host.Source}
	if hm.Model == nil && opts.Host.Learner != nil {
		if lm := opts.Host.Learner.Model(); lm != nil {
			hm = HostModel{Model: lm, Source: HostLearnt}
		}
	}
	if hm.Model != nil && hm.Model.D() != len(host.Names()) {
		return nil, fmt.Errorf("%w: host model has %d features, host vector %d", ErrOptions, hm.Model.D(), len(host.Names()))
	}
	a.setHostModelLocked(hm)
	if bc, ok := opts.Host.Collector.(host.BusCounted); ok {
		bc.SetBusErrorsIfUnset(a.busErrors)
	}
	a.summary = a.fuse()
	m.frameAge.bind(a)
	return a, nil
}

// busErrors sums the BusErrors counters of the sources that count.
func (a *Agent) busErrors() uint64 {
	var n uint64
	for _, p := range a.pipes {
		if c, ok := p.src.(sensors.Counted); ok {
			n += c.Counters().BusErrors
		}
	}
	return n
}

// memSequencer is the default Sequencer: counters from 1 in memory.
type memSequencer struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (s *memSequencer) Next(key string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n[key]++
	return s.n[key]
}

func (a *Agent) pipe(name string) *pipe { return a.byName[name] }

// Sensors returns the sensor names in configuration order.
func (a *Agent) Sensors() []string {
	out := make([]string, len(a.pipes))
	for i, p := range a.pipes {
		out[i] = p.name
	}
	return out
}

// SetModel swaps a sensor's scorer, threshold and health model (SIGHUP
// reload, over-the-air update). Frames already being scored finish with the
// old model; the next frame uses the new one. Persistence state is kept.
func (a *Agent) SetModel(sensor string, m SensorModel) error {
	p := a.pipe(sensor)
	if p == nil {
		return fmt.Errorf("%w %q", ErrUnknownSensor, sensor)
	}
	if err := p.setModel(m); err != nil {
		return fmt.Errorf("agent: set model of %s: %w", sensor, err)
	}
	a.log.Info().Str("sensor", sensor).Str("model", m.ID).Str("version", m.Version).Float64("threshold", m.Threshold).Strs("coverage", m.Coverage).Msg("model swapped")
	return nil
}

// SetHostModel swaps the host model (a host bundle installed over the
// air): it judges from the next sample, and the HostLearner, if any, stops
// learning (a training under way is dropped). A nil m.Model disables the
// verdict, and learning resumes when the agent has a HostLearner.
func (a *Agent) SetHostModel(ctx context.Context, m HostModel) error {
	if m.Model != nil {
		if err := m.Model.Fits(host.Names()); err != nil {
			return fmt.Errorf("agent: host model: %w", err)
		}
	}
	a.hostMu.Lock()
	a.setHostModelLocked(m)
	a.hostLevel = level.OK
	hm := a.hostModel
	a.hostMu.Unlock()
	a.metrics.hostLevel.Set(float64(level.OK))
	a.log.Info().Str("model", hm.ID).Str("version", hm.Version).Str("source", string(hm.Source)).Msg("host model swapped")
	a.publishHealth(ctx, a.opts.Clock.Now())
	a.summaryChanged(ctx, false)
	return nil
}

// Progress counts frames judged and ticks completed while no worker is
// stuck on a frame; the systemd watchdog is pinged only while it moves.
func (a *Agent) Progress() uint64 { return a.progress.Load() }

// ErrRunning is returned by Run when the agent is already running or has run.
var ErrRunning = errors.New("agent: Run called twice")

// Run starts one goroutine per source and one worker per sensor plus the
// ticker, and blocks until ctx is cancelled; it returns nil after every
// goroutine has stopped. A source that fails is restarted with backoff; a
// source that reports sensors.ErrNoData (a recording that ended) is left
// stopped and its sensor goes STALE.
//
// Before it starts anything, Run reports every sensor's first change
// (STALE: no frame judged yet) and the summary's; after everything has
// stopped, it reports every sensor's last change (STALE: trustd stopping)
// and the summary's, so that no trusted state outlives the run.
func (a *Agent) Run(ctx context.Context) error {
	if !a.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	start := a.opts.Clock.Now()
	for _, p := range a.pipes {
		p.mu.Lock()
		p.judge.Start(start)
		p.mu.Unlock()
	}
	// The first change of every sensor and of the summary: STALE until a
	// frame is judged. Published before any frame can be, so that a
	// consumer never keeps trusting a state of an earlier run and every
	// heartbeat repeats a change of this run.
	a.publishChanges(ctx, func(p *pipe) decision.State { return p.judge.Snapshot().State })
	if a.opts.Host.Collector != nil {
		a.publishHealth(ctx, start)
	}
	var wg sync.WaitGroup
	for _, p := range a.pipes {
		wg.Go(func() { a.runSource(ctx, p) })
		wg.Go(func() { p.work(ctx) })
	}
	wg.Go(func() { a.runTicker(ctx) })
	wg.Wait()
	// The last change: nothing judges the sensors any more. ctx is done;
	// the reports still go out, within stopTimeout.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	a.publishChanges(sctx, func(p *pipe) decision.State {
		v := p.judge.Stop()
		p.m.level.Set(float64(v.Level))
		return v.State
	})
	return nil
}

// stopTimeout bounds the reports Run makes after its context is done.
const stopTimeout = time.Second

// publishChanges publishes, as a change, the state next returns for each
// sensor (called with the sensor's lock held), then the summary as a change.
func (a *Agent) publishChanges(ctx context.Context, next func(p *pipe) decision.State) {
	for _, p := range a.pipes {
		p.mu.Lock()
		p.reportChangeLocked(ctx, next(p))
	}
	a.summaryChanged(ctx, true)
}

func (a *Agent) runSource(ctx context.Context, p *pipe) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := p.src.Run(ctx, p.arrive)
		if ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		if err != nil {
			p.srcErr = err.Error()
		} else {
			p.srcErr = "source returned"
		}
		p.mu.Unlock()
		if errors.Is(err, sensors.ErrNoData) {
			a.log.Info().Str("sensor", p.name).Err(err).Msg("source has no more data")
			return
		}
		a.log.Warn().Str("sensor", p.name).Err(err).Dur("retry_in", backoff).Msg("source stopped; restarting")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// tickInterval is how often stale timeouts and the 1 Hz updates are
// checked: the shortest of the judges' tick intervals.
func (a *Agent) tickInterval() time.Duration {
	iv := 100 * time.Millisecond
	for _, p := range a.pipes {
		iv = min(iv, p.judge.TickInterval())
	}
	return max(iv, 5*time.Millisecond)
}

func (a *Agent) runTicker(ctx context.Context) {
	defer a.hostWG.Wait() // training stops with ctx
	t := time.NewTicker(a.tickInterval())
	defer t.Stop()
	now := a.opts.Clock.Now()
	nextBeat := now.Add(a.opts.Heartbeat)
	nextHost := now
	nextDevice := now
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := a.opts.Clock.Now()
		a.tick(ctx, now)
		if a.opts.Host.Collector != nil && !now.Before(nextHost) {
			a.sampleHost(ctx, now)
			nextHost = now.Add(a.opts.Host.Period)
		}
		if !now.Before(nextBeat) {
			a.publishAll(ctx, now)
			nextBeat = now.Add(a.opts.Heartbeat)
		}
		if !now.Before(nextDevice) {
			for _, p := range a.pipes {
				p.watchDevice()
			}
			nextDevice = now.Add(time.Second)
		}
	}
}

// tick runs every sensor's timing update and stale check, and counts as
// progress when no worker is stuck.
func (a *Agent) tick(ctx context.Context, now time.Time) {
	stuck := false
	iv := a.tickInterval()
	for _, p := range a.pipes {
		p.tick(ctx, now, iv)
		if p.wedged(max(10*time.Second, 20*p.period)) {
			stuck = true
		}
	}
	if !stuck {
		a.progress.Add(1)
	}
}

func (a *Agent) sampleHost(ctx context.Context, now time.Time) {
	if ja, ok := a.opts.Host.Collector.(host.JudgingAware); ok {
		a.hostMu.Lock()
		tell := a.hostEval != nil && !a.hostToldJudging
		a.hostToldJudging = a.hostToldJudging || tell
		a.hostMu.Unlock()
		if tell {
			ja.Judging(now)
		}
	}
	s := a.opts.Host.Collector.Sample(now)
	a.hostMu.Lock()
	a.hostLast = s
	prev := a.hostLevel
	if a.hostEval != nil {
		r, err := a.hostEval.Evaluate(s.Features(nil))
		if err == nil {
			a.hostLevel = a.hostRule.Next(r, s.Flagged())
			r.Reasons = append(r.Reasons[:0], a.hostRule.Reasons()...)
			for i := range r.Reasons {
				r.Reasons[i].Code = level.HostWarn
				if a.hostLevel == level.Error {
					r.Reasons[i].Code = level.HostError
				}
			}
			a.hostRes, a.hostHave = r, true
		}
	} else if a.opts.Host.Learner != nil {
		a.learnHost(ctx, s)
	}
	a.metrics.hostLevel.Set(float64(a.hostLevel))
	changed := a.hostLevel != prev
	a.hostMu.Unlock()
	if changed {
		a.publishHealth(ctx, now)
		a.summaryChanged(ctx, false)
	}
}

func (a *Agent) fuse() fusion.Summary {
	in := make([]fusion.Sensor, len(a.pipes))
	for i, p := range a.pipes {
		p.mu.Lock()
		st := p.judge.Snapshot().State
		in[i] = fusion.Sensor{Name: p.name, Kind: p.info.Kind, Level: st.Level, Trusted: st.Trusted, Cause: st.Cause}
		p.mu.Unlock()
	}
	a.hostMu.Lock()
	hl := a.hostLevel
	a.hostMu.Unlock()
	return fusion.Summarize(in, hl)
}

// summaryChanged recomputes the summary and publishes it as a change when
// its level or cause changed, or when force is set.
func (a *Agent) summaryChanged(ctx context.Context, force bool) {
	a.pubSum.Lock()
	defer a.pubSum.Unlock()
	s := a.fuse()
	a.sumMu.Lock()
	changed := force || s.Level != a.summary.Level || s.Cause != a.summary.Cause
	a.summary = s
	if changed {
		a.sumSeq = a.opts.Sequencer.Next("summary")
	}
	a.sumMu.Unlock()
	a.metrics.summaryLevel.Set(float64(s.Level))
	if changed {
		a.publishSummary(ctx, a.opts.Clock.Now(), false)
	}
}

// publishAll publishes every sensor's state as a heartbeat, the summary
// and the host health.
func (a *Agent) publishAll(ctx context.Context, now time.Time) {
	for _, p := range a.pipes {
		p.mu.Lock()
		p.pubMu.Lock()
		r := p.reportLocked(true)
		p.mu.Unlock()
		err := a.report(ctx, &r)
		p.pubMu.Unlock()
		if err != nil {
			p.m.publishErrors.Inc()
			a.log.Warn().Err(err).Str("sensor", p.name).Msg("publish heartbeat")
		}
	}
	a.pubSum.Lock() // a heartbeat must not overtake a change numbered after it
	a.publishSummary(ctx, now, true)
	a.pubSum.Unlock()
	if a.opts.Host.Collector != nil {
		a.publishHealth(ctx, now)
	}
}

// report hands a sensor report to the reporter.
func (a *Agent) report(ctx context.Context, r *SensorReport) error {
	if a.opts.Reporter == nil {
		return nil
	}
	return a.opts.Reporter.ReportSensor(ctx, r)
}

// publishSummary reports the summary; a.pubSum is held.
func (a *Agent) publishSummary(ctx context.Context, now time.Time, heartbeat bool) {
	if a.opts.Reporter == nil {
		return
	}
	a.sumMu.Lock()
	r := SummaryReport{Robot: a.opts.Robot, Summary: a.summary, Seq: a.sumSeq, Heartbeat: heartbeat, Time: now, Expires: a.expires(now)}
	a.sumMu.Unlock()
	if err := a.opts.Reporter.ReportSummary(ctx, &r); err != nil {
		a.log.Warn().Err(err).Msg("publish summary")
	}
}

// expires is when a state reported at now expires.
func (a *Agent) expires(now time.Time) time.Time {
	return now.Add(ExpiryHeartbeats * a.opts.Heartbeat)
}

func (a *Agent) publishHealth(ctx context.Context, now time.Time) {
	if a.opts.Reporter == nil {
		return
	}
	a.hostMu.Lock()
	r := HealthReport{
		Robot: a.opts.Robot, Level: a.hostLevel, Sample: a.hostLast,
		Verdict: a.hostRes, HaveVerdict: a.hostHave,
		ModelID: a.opts.Host.ID, ModelVersion: a.opts.Host.Version, Time: now, Expires: a.expires(now),
		Phase: a.hostPhase, Detail: a.hostDetail(),
	}
	if a.hostEval != nil {
		r.Warn = a.hostEval.Model().Warn
		r.ModelID, r.ModelVersion, r.ModelSource = a.hostModel.ID, a.hostModel.Version, a.hostModel.Source
	}
	a.hostMu.Unlock()
	if err := a.opts.Reporter.ReportHealth(ctx, &r); err != nil {
		a.log.Warn().Err(err).Msg("publish health")
	}
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
