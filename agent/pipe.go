package agent

import (
	"context"
	"errors"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/agent/streamcheck"
	"github.com/sensortrust/trustagent/sensors"
)

// modelState is what judges a sensor's frames; swapped atomically.
type modelState struct {
	scorer      Scorer
	threshold   float64
	eval        *health.Evaluator // used by the worker only
	id, version string
}

// pipe is one sensor's share of the pipeline.
type pipe struct {
	a      *Agent
	src    sensors.Source
	info   sensors.Info
	name   string
	period time.Duration
	hwID   string
	q      *queue
	m      sensorMetrics
	model  atomic.Pointer[modelState]
	// budget is the scoring time one frame may take on average (seconds).
	budget float64

	// Worker-owned.
	feats      *health.SensorFeatures
	fv         []float64
	hashSeed   maphash.Seed
	hashBuf    []byte
	prevHash   uint64
	haveHash   bool
	frameN     uint64
	ewma       float64 // scorer seconds per frame, exponentially weighted
	seenDrops  uint64
	resetFeats atomic.Bool
	busySince  atomic.Int64 // unix ns while processing a frame, 0 when idle

	// mu guards the decision state; pubMu (taken while holding mu, held
	// across Publish) keeps one sensor's level changes in decision order.
	mu         sync.Mutex
	pubMu      sync.Mutex
	checker    *streamcheck.Checker
	decider    *decision.Decider
	lastUpdate []level.Reason // frequency reasons of the latest 1 Hz update
	nextUpdate time.Time
	state      decision.State
	frames     uint64
	scored     uint64
	decim      int
	lastRecv   time.Time
	lastStamp  time.Time
	health     health.Result
	haveHealth bool
	window     health.WindowStats
	features   map[string]float64 // latest health features when not OK
	clean      *cleanRing
	seq        uint64 // sequence number of the latest published change
	srcErr     string
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
	chk, err := streamcheck.New(period, sopts)
	if err != nil {
		return nil, err
	}
	dec, err := decision.New(so.Decision)
	if err != nil {
		return nil, err
	}
	feats, err := health.NewSensorFeatures(info.Kind, period)
	if err != nil {
		return nil, err
	}
	hw := so.HardwareID
	if hw == "" {
		hw = info.Model + " " + info.Address
	}
	p := &pipe{
		a: a, src: so.Source, info: info, name: info.Name, period: period, hwID: hw,
		q: newQueue(a.opts.QueueLen), feats: feats, hashSeed: maphash.MakeSeed(),
		checker: chk, decider: dec, decim: 1,
		clean:  newCleanRing(a.opts.CleanHistory, period),
		budget: a.opts.ScoreBudget * period.Seconds() / float64(len(a.opts.Sensors)),
	}
	p.state = decision.State{Level: level.OK, Trusted: true, Message: "OK: waiting for data"}
	if err := p.setModel(so.Model); err != nil {
		return nil, err
	}
	p.m = a.metrics.forSensor(p.name)
	return p, nil
}

func (p *pipe) setModel(sm SensorModel) error {
	if math.IsNaN(sm.Threshold) {
		return errors.New("threshold is NaN")
	}
	ms := &modelState{scorer: sm.Scorer, threshold: sm.Threshold, id: sm.ID, version: sm.Version}
	if sm.Health != nil {
		if err := sm.Health.Fits(p.feats.Names()); err != nil {
			return err
		}
		ms.eval = sm.Health.NewEvaluator()
	}
	p.model.Store(ms)
	if p.m.threshold != nil {
		p.m.threshold.Set(sm.Threshold)
	}
	return nil
}

// arrive runs in the driver's goroutine: timing checks at arrival, then the
// queue.
func (p *pipe) arrive(f sensors.Frame) {
	h := f.Head()
	if h.Received.IsZero() {
		h.Received = p.a.opts.Clock.Now()
	}
	p.mu.Lock()
	timing := p.checker.Observe(*h)
	p.frames++
	p.lastRecv = h.Received
	p.mu.Unlock()
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
	a := p.a
	now := a.opts.Clock.Now()
	p.busySince.Store(time.Now().UnixNano())
	defer p.busySince.Store(0)
	f := it.frame
	ms := p.model.Load()
	reasons := append([]level.Reason(nil), it.timing.Reasons...)

	if p.resetFeats.Swap(false) {
		p.feats.Reset()
		p.haveHash = false
	}
	h := p.hash(f)
	if p.haveHash && h == p.prevHash {
		reasons = append(reasons, level.Reason{Code: level.Frozen, Feature: "identical_to_previous", Value: 1, Level: level.Error})
	}
	p.prevHash, p.haveHash = h, true

	var hres health.Result
	haveHealth := false
	fv, ferr := p.feats.Next(p.fv, f)
	p.fv = fv
	if ferr == nil && ms.eval != nil {
		if r, err := ms.eval.Evaluate(fv); err == nil {
			hres, haveHealth = r, true
			reasons = append(reasons, r.Reasons...)
			p.m.healthScore.Set(r.Score)
		}
	}

	in := decision.Input{Threshold: ms.threshold}
	if ms.scorer != nil {
		p.frameN++
		if p.frameN%uint64(p.decimation()) == 0 {
			t0 := time.Now()
			s, err := ms.scorer.Score(f)
			dt := time.Since(t0).Seconds()
			p.ewma = 0.9*p.ewma + 0.1*dt
			if p.ewma == 0.1*dt { // first sample
				p.ewma = dt
			}
			p.m.scorerSeconds.Observe(dt)
			if err != nil {
				p.m.scoreErrors.Inc()
				reasons = append(reasons, level.Reason{Code: level.ScorerError, Feature: "score", Level: level.Warn})
			} else {
				in.Scored, in.Score = true, s
				p.m.scored.Inc()
				p.m.score.Set(s)
			}
		}
	}
	decim := p.decimation()
	p.m.decimation.Set(float64(decim))
	if decim > 1 {
		reasons = append(reasons, level.Reason{Code: level.Decimated, Feature: "every_nth", Value: float64(decim), Level: level.OK})
	}
	if d := p.q.drops(); d > p.seenDrops {
		reasons = append(reasons, level.Reason{Code: level.QueueDrops, Feature: "frames", Value: float64(d - p.seenDrops), Level: level.Warn})
		p.seenDrops = d
	}
	win := p.feats.Window().Stats(f.Head().Received)

	p.mu.Lock()
	in.Reasons = append(reasons, p.lastUpdate...)
	st := p.decider.Frame(in)
	p.state = st
	p.decim = decim
	if in.Scored {
		p.scored++
		if st.Level != level.Error && onlyScoreReasons(st.Reasons) {
			p.clean.add(now, in.Score)
		}
	}
	p.lastStamp = f.Head().Stamp
	p.health, p.haveHealth = hres, haveHealth
	p.window = win
	p.features = nil
	if st.Level != level.OK && ferr == nil {
		p.features = make(map[string]float64, len(fv))
		for i, n := range p.feats.Names() {
			if v := fv[i]; !math.IsNaN(v) && !math.IsInf(v, 0) {
				p.features[n] = v
			}
		}
	}
	p.m.level.Set(float64(st.Level))
	if st.Changed {
		p.publishChangeLocked(ctx, st)
	} else {
		p.mu.Unlock()
	}
	a.progress.Add(1)
}

// publishChangeLocked is called with p.mu held; it releases it.
func (p *pipe) publishChangeLocked(ctx context.Context, st decision.State) {
	p.pubMu.Lock()
	p.seq = p.a.opts.Sequencer.Next(p.name)
	msg, err := p.a.stateMessageLocked(p, false)
	p.mu.Unlock()
	if err == nil {
		err = p.a.publish(ctx, msg)
	}
	p.pubMu.Unlock()
	if err != nil {
		p.m.publishErrors.Inc()
		p.a.log.Warn().Err(err).Str("sensor", p.name).Msg("publish state")
	}
	p.a.log.Info().Str("sensor", p.name).Str("trust", st.Level.String()).Str("cause", string(st.Cause)).Msg(st.Message)
	p.a.summaryChanged(ctx)
}

func onlyScoreReasons(rs []level.Reason) bool {
	for _, r := range rs {
		if r.Code != level.ScoreHigh && r.Code.Group() != level.GroupInfo {
			return false
		}
	}
	return true
}

// decimation is how many frames pass per scored frame under the budget.
func (p *pipe) decimation() int {
	if p.ewma <= p.budget || p.budget <= 0 {
		return 1
	}
	return int(min(100, math.Ceil(p.ewma/p.budget)))
}

// tick runs the 1 Hz stream update and the stale check. A sensor is
// declared STALE at the last tick before its silence exceeds the timeout
// (the silence then lies in (StaleAfter − every, StaleAfter]), so STALE is
// never later than the configured timeout.
func (p *pipe) tick(ctx context.Context, now time.Time, every time.Duration) {
	p.mu.Lock()
	if !now.Before(p.nextUpdate) {
		r := p.checker.Update(now)
		p.lastUpdate = p.lastUpdate[:0]
		for _, x := range r.Reasons {
			switch x.Code {
			case level.NoEvents, level.RateLow, level.RateHigh, level.NoDataUpdate:
				p.lastUpdate = append(p.lastUpdate, x)
			}
		}
		p.nextUpdate = p.nextUpdate.Add(time.Second)
		if p.nextUpdate.Before(now) {
			p.nextUpdate = now.Add(time.Second)
		}
	}
	if p.checker.Stale(now.Add(every)) && p.decider.Level() != level.Stale {
		st := p.decider.MarkStale(now.Sub(p.checker.LastReceived()))
		p.state = st
		p.checker.Reset()
		p.resetFeats.Store(true)
		p.lastUpdate = p.lastUpdate[:0]
		p.m.level.Set(float64(st.Level))
		p.publishChangeLocked(ctx, st)
		return
	}
	p.mu.Unlock()
}

// wedged reports whether the worker has been busy with one frame for longer
// than limit.
func (p *pipe) wedged(limit time.Duration) bool {
	b := p.busySince.Load()
	return b != 0 && time.Since(time.Unix(0, b)) > limit
}

// hash identifies a frame's payload, to spot byte-identical repeats.
func (p *pipe) hash(f sensors.Frame) uint64 {
	var h maphash.Hash
	h.SetSeed(p.hashSeed)
	switch fr := f.(type) {
	case *sensors.Image:
		h.Write(fr.Pix)
	case *sensors.Scan:
		// One pass into a reused buffer: far cheaper than a Write per point.
		if need := 16 * len(fr.Points); cap(p.hashBuf) < need {
			p.hashBuf = make([]byte, need)
		}
		buf := p.hashBuf[:16*len(fr.Points)]
		for i := range fr.Points {
			pt := &fr.Points[i]
			b := buf[16*i : 16*i+16 : 16*i+16]
			put32(b[0:], math.Float32bits(pt.X))
			put32(b[4:], math.Float32bits(pt.Y))
			put32(b[8:], math.Float32bits(pt.Z))
			put32(b[12:], math.Float32bits(pt.Intensity))
		}
		h.Write(buf)
	case *sensors.Range:
		var buf [8]byte
		put32(buf[0:], math.Float32bits(fr.Distance))
		put32(buf[4:], math.Float32bits(fr.Strength))
		h.Write(buf[:])
	}
	return h.Sum64()
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
