package agent

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// pipe runs one sensor's Judge in the daemon: the driver's callback
// observes each frame at arrival and queues it, a worker judges queued
// frames, the agent's ticker ticks it, and level changes are published in
// decision order.
type pipe struct {
	a      *Agent
	src    sensors.Source
	info   sensors.Info
	name   string
	period time.Duration
	hwID   string
	q      *queue
	m      sensorMetrics

	seenDrops uint64       // worker-owned
	busySince atomic.Int64 // unix ns while judging a frame, 0 when idle

	// arriveMu guards the judge's Observe, so that a driver never waits
	// for a frame being judged, and the arrival counters.
	arriveMu sync.Mutex
	frames   uint64 // frames arrived
	lastRecv time.Time

	// mu guards the judge (and arriveMu is taken inside it for Tick) and
	// what follows; pubMu (taken while holding mu, held across Publish)
	// keeps one sensor's level changes in decision order.
	mu     sync.Mutex
	pubMu  sync.Mutex
	judge  *Judge
	clean  *cleanRing
	seq    uint64 // sequence number of the latest published change
	srcErr string
	devErr string // the source's latest device failure (sensors.Failing)
}

// watchDevice keeps the source's latest device failure for the status and
// logs it when it changes: a camera that does not open retries quietly in
// its driver, and this is where the operator learns why it is STALE.
func (p *pipe) watchDevice() {
	f, ok := p.src.(sensors.Failing)
	if !ok {
		return
	}
	err := f.LastError()
	if err == nil {
		return
	}
	p.mu.Lock()
	changed := err.Error() != p.devErr
	p.devErr = err.Error()
	p.mu.Unlock()
	if changed {
		p.a.log.Warn().Str("sensor", p.name).Err(err).Msg("sensor device failed; the driver keeps retrying")
	}
}

func newPipe(a *Agent, so SensorOptions) (*pipe, error) {
	info := so.Source.Info()
	period := so.Period
	if period == 0 {
		period = info.Period
	}
	sopts := so.Stream
	if sopts.StaleAfter == 0 {
		sopts.StaleAfter = a.opts.StaleTimeout
	}
	budget := time.Duration(a.opts.ScoreBudget * float64(period) / float64(len(a.opts.Sensors)))
	j, err := NewJudge(JudgeOptions{
		Kind: info.Kind, Period: period, Model: so.Model, Decision: so.Decision, Stream: sopts, ScoreBudget: budget,
		NoConeCheck: so.NoConeCheck, NoTearCheck: so.NoTearCheck, NoHoleCheck: so.NoHoleCheck,
		NoRingCheck: so.NoRingCheck, NoDirtCheck: so.NoDirtCheck, NoVeilCheck: so.NoVeilCheck,
	})
	if err != nil {
		return nil, err
	}
	hw := so.HardwareID
	if hw == "" {
		hw = info.Model + " " + info.Address
	}
	p := &pipe{
		a: a, src: so.Source, info: info, name: info.Name, period: period, hwID: hw,
		q: newQueue(a.opts.QueueLen), judge: j,
		clean: newCleanRing(a.opts.CleanHistory, period),
	}
	p.m = a.metrics.forSensor(p.name)
	p.m.threshold.Set(so.Model.Threshold)
	return p, nil
}

func (p *pipe) setModel(sm SensorModel) error {
	p.mu.Lock()
	err := p.judge.SetModel(sm)
	p.mu.Unlock()
	if err == nil {
		p.m.threshold.Set(sm.Threshold)
	}
	return err
}

// arrive runs in the driver's goroutine: timing checks at arrival, then the
// queue.
func (p *pipe) arrive(f sensors.Frame) {
	h := f.Head()
	if h.Received.IsZero() {
		h.Received = p.a.opts.Clock.Now()
	}
	p.arriveMu.Lock()
	timing := p.judge.Observe(*h)
	p.frames++
	p.lastRecv = h.Received
	p.arriveMu.Unlock()
	p.m.frames.Inc()
	if p.q.push(item{frame: f, timing: timing}) {
		p.m.drops.Inc()
	}
}

// work is the worker loop.
func (p *pipe) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.q.ready:
		}
		for ctx.Err() == nil {
			it, ok := p.q.pop()
			if !ok {
				break
			}
			p.process(ctx, it)
		}
	}
}

// process judges one frame.
func (p *pipe) process(ctx context.Context, it item) {
	p.busySince.Store(time.Now().UnixNano())
	defer p.busySince.Store(0)
	var dropped uint64
	if d := p.q.drops(); d > p.seenDrops {
		dropped, p.seenDrops = d-p.seenDrops, d
	}

	p.mu.Lock()
	v := p.judge.Frame(it.frame, it.timing, dropped)
	if v.Scored && v.Level != level.Error && onlyScoreReasons(v.Reasons) {
		p.clean.add(p.a.opts.Clock.Now(), v.Score)
	}
	p.observe(v)
	if v.Changed {
		p.publishChangeLocked(ctx, v)
	} else {
		p.mu.Unlock()
	}
	p.a.progress.Add(1)
}

// observe updates the sensor's metrics from a verdict.
func (p *pipe) observe(v Verdict) {
	m := &p.m
	if v.HaveHealth {
		m.healthScore.Set(v.Health.Score)
	}
	if v.Scored || v.ScoreErr != nil {
		m.scorerSeconds.Observe(p.judge.ScoreDuration().Seconds())
	}
	if v.ScoreErr != nil {
		m.scoreErrors.Inc()
	}
	if v.Scored {
		m.scored.Inc()
		m.score.Set(v.Score)
	}
	m.decimation.Set(float64(v.Decimation))
	m.level.Set(float64(v.Level))
}

// publishChangeLocked is called with p.mu held; it releases it. It
// publishes the sensor's new state, then the summary if that changed.
func (p *pipe) publishChangeLocked(ctx context.Context, v Verdict) {
	p.reportChangeLocked(ctx, v.State)
	p.a.summaryChanged(ctx, false)
}

// reportChangeLocked numbers the sensor's current state as its next change
// and reports it. It is called with p.mu held and releases it.
func (p *pipe) reportChangeLocked(ctx context.Context, st decision.State) {
	p.pubMu.Lock()
	p.seq = p.a.opts.Sequencer.Next(p.name)
	r := p.reportLocked(false)
	// st's reasons are the decider's buffer, which the worker's next frame
	// overwrites once p.mu is released.
	msg := st.Message()
	p.mu.Unlock()
	err := p.a.report(ctx, &r)
	p.pubMu.Unlock()
	if err != nil {
		p.m.publishErrors.Inc()
		p.a.log.Warn().Err(err).Str("sensor", p.name).Msg("publish state")
	}
	p.a.log.Info().Str("sensor", p.name).Str("trust", st.Level.String()).Str("cause", string(st.Cause)).Msg(msg)
}

// reportLocked is the sensor's report; p.mu is held. The snapshot's
// reasons and features are the judge's: the report is used before p.mu is
// taken again by the worker (pubMu is held across the call).
func (p *pipe) reportLocked(heartbeat bool) SensorReport {
	m := p.judge.Model()
	sn := p.judge.Snapshot()
	sn.State.Reasons = append([]level.Reason(nil), sn.State.Reasons...)
	sn.Features = maps.Clone(sn.Features)
	now := p.a.opts.Clock.Now()
	return SensorReport{
		Robot: p.a.opts.Robot, Sensor: p.name, HardwareID: p.hwID, Judge: sn,
		ModelID: m.ID, ModelVersion: m.Version, ModelCoverage: m.Coverage, Threshold: m.Threshold,
		Seq: p.seq, Heartbeat: heartbeat, Time: now, Expires: p.a.expires(now),
	}
}

func onlyScoreReasons(rs []level.Reason) bool {
	for _, r := range rs {
		if r.Code != level.ScoreHigh && r.Code.Group() != level.GroupInfo {
			return false
		}
	}
	return true
}

// tick runs the judge's tick; every is the time until the next one.
func (p *pipe) tick(ctx context.Context, now time.Time, every time.Duration) {
	p.mu.Lock()
	p.arriveMu.Lock()
	v := p.judge.Tick(now, every)
	p.arriveMu.Unlock()
	if !v.Changed {
		p.mu.Unlock()
		return
	}
	p.m.level.Set(float64(v.Level))
	p.publishChangeLocked(ctx, v)
}

// wedged reports whether the worker has been busy with one frame for longer
// than limit.
func (p *pipe) wedged(limit time.Duration) bool {
	b := p.busySince.Load()
	return b != 0 && time.Since(time.Unix(0, b)) > limit
}
