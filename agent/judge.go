package agent

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/integrity"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/agent/streamcheck"
	"github.com/sensortrust/trustagent/sensors"
)

// The judge's vocabulary, so that tools that run a Judge need no other
// package of the agent.
type (
	// Persistence is the rule that turns bad frames into ERROR: K of the
	// last N frames bad by one alarm enter it, M clean frames in a row
	// leave it.
	Persistence = decision.Options
	// StreamOptions configure the stream timing checks.
	StreamOptions = streamcheck.Options
	// Reason is one piece of evidence behind a level.
	Reason = level.Reason
	// AlarmTail is how an alarm level was calibrated from clean episodes.
	AlarmTail = decision.Tail
	// HealthModel is a health autoencoder.
	HealthModel = health.Model
)

// The levels, in increasing order of severity.
const (
	LevelOK    = level.OK
	LevelWarn  = level.Warn
	LevelError = level.Error
	LevelStale = level.Stale
)

// DefaultAlarmRate is the default target of false entries into ERROR per
// hour of clean stream, for each alarm.
const DefaultAlarmRate = decision.DefaultAlarmRate

// JudgeOptions configure a Judge.
type JudgeOptions struct {
	// Kind of the sensor's frames (LiDAR, camera or range).
	Kind sensors.Kind
	// Period is the nominal frame period (> 0).
	Period time.Duration
	// Model judges the frames; every part is optional.
	Model SensorModel
	// Decision persistence; zero fields default (3 of 5 to enter ERROR,
	// 10 clean frames to leave).
	Decision decision.Options
	// Stream timing checks; zero fields default (see package streamcheck;
	// StaleAfter 1 s).
	Stream streamcheck.Options
	// NoConeCheck turns off the LiDAR ring geometry check (package
	// integrity), for a driver that deskews its clouds.
	NoConeCheck bool
	// NoTearCheck turns off the camera torn-frame check (package
	// integrity).
	NoTearCheck bool
	// NoHoleCheck turns off the LiDAR surface hole check (package
	// integrity).
	NoHoleCheck bool
	// NoRingCheck turns off the LiDAR dark ring check (package
	// integrity), for a driver that leaves lasers out on purpose.
	NoRingCheck bool
	// NoDirtCheck turns off the camera lens dirt check (package
	// integrity), for a camera with a moving part of the robot in view.
	NoDirtCheck bool
	// NoVeilCheck turns off the camera veil check (package integrity),
	// for a camera whose view is lit at once by light it is meant to see
	// through, such as a display.
	NoVeilCheck bool
	// ScoreBudget is the mean time the scorer may take per frame; when it
	// takes longer, only every n-th frame is scored, and the state says so.
	// Zero scores every frame.
	ScoreBudget time.Duration
}

// Judge is one sensor's whole decision: the stream checks, the
// frozen-frame check, a LiDAR's ring geometry and surface hole checks and
// a camera's torn-frame check (package integrity), the frame statistics (computed
// once and handed to both the health model and the scorer), the health
// autoencoder, the frame score and the persistence rule. trustd runs one
// per sensor behind a queue and a ticker; trustctl score, eval and
// calibrate run it directly on recordings (see Replay). It is synchronous
// and not safe for concurrent use.
//
// A new judge is STALE, untrusted, until its first frame ("no frame judged
// yet"); that frame is a level change.
//
// Call order: Start once; then, in time order, Observe for each frame as
// it arrives, Frame for each observed frame (in the same order; frames may
// be left out, as a queue that drops does), and Tick at least every
// TickInterval. Observe touches only the stream checker, so it may run
// while another goroutine is in Frame (trustd's drivers never wait for a
// frame being judged); no other two calls may overlap.
type Judge struct {
	kind    sensors.Kind
	period  time.Duration
	checker *streamcheck.Checker
	decider *decision.Decider
	feats   *health.SensorFeatures
	model   judgeModel

	fv       []float64
	names    []string           // of fv
	features map[string]float64 // reused for Snapshot.Features
	reasons  []level.Reason
	hash     frameHash
	cones    *integrity.RingGeometry // nil: no cone check
	tears    *integrity.RowReplay    // nil: no torn-frame check
	holes    *integrity.SurfaceHoles // nil: no surface hole check
	dark     *integrity.DarkRings    // nil: no dark ring check
	dirt     *integrity.LensDirt     // nil: no lens dirt check
	veil     *integrity.Veil         // nil: no veil check
	blocks   integrity.BlockMeans    // a camera frame's, for the lens dirt and veil checks
	blanks   *integrity.BlankFrames  // nil: not a camera
	rise     *decision.Rise          // nil: the model has no rise alarm

	budget   time.Duration
	frameN   uint64
	ewma     float64 // seconds of scoring per frame, exponentially weighted
	decim    int
	scoreDur time.Duration

	nextUpdate time.Time
	freq       []level.Reason // frequency reasons of the latest 1 Hz update

	snap Snapshot
}

// judgeModel is a SensorModel prepared for judging.
type judgeModel struct {
	SensorModel
	stats statsScorer // the scorer, when it takes precomputed statistics
	eval  *health.Evaluator
}

// statsScorer is implemented by scorers that take the frame statistics
// computed by the judge instead of computing them again
// (likelihood.FixedScorer does).
type statsScorer interface {
	ScoreStats(f sensors.Frame, stats []float64) (float64, error)
}

// resetter is implemented by scorers that keep per-stream state (the
// likelihood scorers do).
type resetter interface{ Reset() }

// Verdict is the judge's conclusion after one frame or tick.
type Verdict struct {
	// State is the sensor's decided state; Changed says whether its level
	// changed. Its Reasons are valid until the judge's next call.
	decision.State
	// Scored says whether this frame was scored; Score is then its score.
	Scored bool
	Score  float64
	// ScoreErr is the scorer's error when it could not score the frame.
	ScoreErr error
	// Health is the health model's verdict on this frame, when HaveHealth.
	Health     health.Result
	HaveHealth bool
	// Bad says whether this frame's own evidence reached ERROR.
	Bad bool
	// Decimation is how many frames pass per scored frame (1: every one).
	Decimation int
	// Silent is how long the stream had been silent when a tick declared
	// it STALE (zero otherwise).
	Silent time.Duration
}

// Snapshot is what the judge knows of its sensor now, for heartbeats and
// status pages. Reasons and Features are the judge's own: copy them before
// the judge's next call.
type Snapshot struct {
	State      decision.State
	Health     health.Result
	HaveHealth bool
	Window     health.WindowStats
	// Features are the health features of the latest frame when its state
	// was not OK (natural units, finite values only).
	Features   map[string]float64
	Stamp      time.Time // the latest frame's own time stamp
	Frames     uint64    // frames judged
	Scored     uint64    // frames scored
	Decimation int
}

// NewJudge validates o and builds a judge. It does no I/O.
func NewJudge(o JudgeOptions) (*Judge, error) {
	if o.Period <= 0 {
		return nil, fmt.Errorf("%w: judge: period %v is not positive", ErrOptions, o.Period)
	}
	if o.ScoreBudget < 0 {
		return nil, fmt.Errorf("%w: judge: negative score budget %v", ErrOptions, o.ScoreBudget)
	}
	if o.Stream.StaleAfter == 0 {
		o.Stream.StaleAfter = time.Second
	}
	chk, err := streamcheck.New(o.Period, o.Stream)
	if err != nil {
		return nil, err
	}
	dec, err := decision.New(o.Decision)
	if err != nil {
		return nil, err
	}
	feats, err := health.NewSensorFeatures(o.Kind, o.Period)
	if err != nil {
		return nil, err
	}
	j := &Judge{
		kind: o.Kind, period: o.Period, checker: chk, decider: dec, feats: feats,
		hash: newFrameHash(), budget: o.ScoreBudget, decim: 1,
		names: feats.Names(), features: map[string]float64{},
	}
	if o.Kind == sensors.KindLidar && !o.NoConeCheck {
		j.cones = new(integrity.RingGeometry)
	}
	if o.Kind == sensors.KindLidar && !o.NoHoleCheck {
		j.holes = new(integrity.SurfaceHoles)
	}
	if o.Kind == sensors.KindLidar && !o.NoRingCheck {
		j.dark = new(integrity.DarkRings)
	}
	if o.Kind == sensors.KindCamera && !o.NoTearCheck {
		j.tears = new(integrity.RowReplay)
	}
	if o.Kind == sensors.KindCamera && !o.NoDirtCheck {
		j.dirt = new(integrity.LensDirt)
	}
	if o.Kind == sensors.KindCamera && !o.NoVeilCheck {
		j.veil = new(integrity.Veil)
	}
	if o.Kind == sensors.KindCamera {
		j.blanks = new(integrity.BlankFrames)
	}
	if err := j.SetModel(o.Model); err != nil {
		return nil, err
	}
	j.snap.State = decision.Unjudged()
	j.snap.Decimation = 1
	return j, nil
}

// SetModel swaps the scorer, threshold and health model; the persistence
// state is kept. The next frame is judged by the new model.
func (j *Judge) SetModel(m SensorModel) error {
	if math.IsNaN(m.Threshold) {
		return errors.New("agent: threshold is NaN")
	}
	if !(m.WarnThreshold >= 0) {
		return fmt.Errorf("agent: WARN threshold %v is not a number ≥ 0", m.WarnThreshold)
	}
	if !(m.RiseLevel >= 0) {
		return fmt.Errorf("agent: rise level %v is not a number ≥ 0", m.RiseLevel)
	}
	var rise *decision.Rise
	if m.RiseLevel > 0 {
		r, err := decision.NewRise(m.RiseFrames, max(1, int(RiseHold/j.period)))
		if err != nil {
			return fmt.Errorf("agent: %w", err)
		}
		rise = r
	}
	jm := judgeModel{SensorModel: m}
	if m.Health != nil {
		if err := m.Health.Fits(j.feats.Names()); err != nil {
			return err
		}
		jm.eval = m.Health.NewEvaluator()
	}
	jm.stats, _ = m.Scorer.(statsScorer)
	if r, ok := m.Scorer.(resetter); ok {
		// A scorer that has judged another stream must not compare this
		// stream's next frame with that stream's last.
		r.Reset()
	}
	j.model = jm
	// Another model's scores are on another scale: the recent level
	// starts afresh.
	j.rise = rise
	return nil
}

// RiseHold is how long the rise alarm's recent level is kept without a
// frame the stream was trusted on, counted in scored frames at the
// sensor's period: a rise that lasts longer (a lasting change of scene as
// well as a lasting fault) no longer counts as one once it is this old,
// and the level starts afresh when the stream is trusted again.
const RiseHold = 30 * time.Second

// Model returns the model in use.
func (j *Judge) Model() SensorModel { return j.model.SensorModel }

// Options returns the effective persistence and stream options.
func (j *Judge) Options() (decision.Options, streamcheck.Options) {
	return j.decider.Options(), j.checker.Options()
}

// TickInterval is how often the judge wants Tick: a tenth of the stale
// timeout, between 5 and 100 ms.
func (j *Judge) TickInterval() time.Duration {
	return max(min(100*time.Millisecond, j.checker.Options().StaleAfter/10), 5*time.Millisecond)
}

// Start sets the time the stream is expected from.
func (j *Judge) Start(now time.Time) {
	j.checker.Start(now)
	j.nextUpdate = now.Add(time.Second)
}

// Observe runs the timing checks of a frame at its arrival (h.Received).
// The result goes with the frame to Frame.
func (j *Judge) Observe(h sensors.Header) streamcheck.Frame {
	return j.checker.Observe(h)
}

// Frame judges one frame, with the timing verdict Observe gave at its
// arrival; dropped is the number of frames dropped before it since the
// previous call (by a queue), reported as a reason.
func (j *Judge) Frame(f sensors.Frame, timing streamcheck.Frame, dropped uint64) Verdict {
	m := &j.model
	rs := append(j.reasons[:0], timing.Reasons...)

	// A camera frame's rows are hashed once, by the torn-frame check; the
	// frozen-frame check takes its digest of them.
	var tear integrity.TearResult
	if im, ok := f.(*sensors.Image); ok && j.tears != nil {
		tear = j.tears.Check(im)
	}
	var repeat bool
	if tear.Valid {
		repeat = j.hash.repeatsSum(tear.Digest)
	} else {
		repeat = j.hash.repeats(f)
	}
	if repeat {
		rs = append(rs, level.Reason{Code: level.Frozen, Feature: "identical_to_previous", Value: 1, Level: level.Error})
	}
	if tear.Torn {
		rs = append(rs, level.Reason{Code: level.Torn, Feature: "replayed_rows_frac", Value: tear.Frac(), Level: tear.Level()})
	}
	if im, ok := f.(*sensors.Image); ok && j.blanks != nil {
		if b := j.blanks.Check(im); b.Level() > level.OK {
			rs = append(rs, level.Reason{Code: level.Blank, Feature: "blank_frames", Value: float64(b.Recent), Level: b.Level()})
		}
	}
	if im, ok := f.(*sensors.Image); ok && (j.dirt != nil || j.veil != nil) && j.blocks.Of(im) {
		if j.dirt != nil {
			if d := j.dirt.Check(&j.blocks); d.Level() > level.OK {
				rs = append(rs, level.Reason{Code: level.LensDirt, Feature: "dirt_area", Value: d.Area, Level: d.Level()})
			}
		}
		if j.veil != nil {
			if v := j.veil.Check(&j.blocks); v.Level() > level.OK {
				rs = append(rs, level.Reason{Code: level.Veil, Feature: "veil_offset", Value: v.Offset, Level: v.Level()})
			}
		}
	}
	if s, ok := f.(*sensors.Scan); ok && j.cones != nil {
		if g := j.cones.Check(s); g.Level() > level.OK {
			rs = append(rs, level.Reason{Code: level.OffCone, Feature: "off_cone_frac", Value: g.Frac, Level: g.Level()})
		}
	}
	if s, ok := f.(*sensors.Scan); ok && j.holes != nil {
		if h := j.holes.Check(s); h.Level() > level.OK {
			rs = append(rs, level.Reason{Code: level.Holes, Feature: "hole_frac", Value: h.Frac, Level: h.Level()})
		}
	}
	if s, ok := f.(*sensors.Scan); ok && j.dark != nil {
		if d := j.dark.Check(s); d.Level() > level.OK {
			rs = append(rs, level.Reason{Code: level.DarkRing, Feature: "dark_rings", Value: float64(d.Dark), Level: d.Level()})
		}
	}

	var v Verdict
	fv, ferr := j.feats.Next(j.fv, f)
	j.fv = fv
	if ferr == nil && m.eval != nil {
		if r, err := m.eval.Evaluate(fv); err == nil {
			v.Health, v.HaveHealth = r, true
			rs = append(rs, r.Reasons...)
		}
	}

	in := decision.Input{Threshold: m.Threshold, WarnThreshold: m.WarnThreshold}
	if m.Scorer != nil {
		j.frameN++
		if j.frameN%uint64(j.decim) == 0 {
			v.Score, v.ScoreErr = j.score(f, ferr)
			if v.ScoreErr != nil {
				rs = append(rs, level.Reason{Code: level.ScorerError, Feature: "score", Level: level.Warn})
			} else {
				v.Scored, in.Scored, in.Score = true, true, v.Score
				if r, ok := j.riseOf(v.Score); ok {
					rs = append(rs, r)
				}
			}
		}
		j.decim = j.decimation()
	}
	if j.decim > 1 {
		rs = append(rs, level.Reason{Code: level.Decimated, Feature: "every_nth", Value: float64(j.decim), Level: level.OK})
	}
	if dropped > 0 {
		rs = append(rs, level.Reason{Code: level.QueueDrops, Feature: "frames", Value: float64(dropped), Level: level.Warn})
	}
	rs = append(rs, j.freq...)
	j.reasons = rs
	in.Reasons = rs
	st := j.decider.Frame(in)
	if j.rise != nil {
		switch {
		case !st.Trusted:
			j.rise.Untrusted()
		case v.Scored:
			j.rise.Learn(v.Score)
		}
	}

	v.State, v.Bad, v.Decimation = st, st.FrameLevel >= level.Error, j.decim
	s := &j.snap
	s.State, s.Health, s.HaveHealth = st, v.Health, v.HaveHealth
	s.Window = j.feats.Window().Stats(f.Head().Received)
	s.Stamp = f.Head().Stamp
	s.Frames++
	if v.Scored {
		s.Scored++
	}
	s.Decimation = j.decim
	s.Features = nil
	if st.Level != level.OK && ferr == nil {
		clear(j.features)
		for i, n := range j.names {
			if x := fv[i]; !math.IsNaN(x) && !math.IsInf(x, 0) {
				j.features[n] = x
			}
		}
		s.Features = j.features
	}
	return v
}

// riseOf returns the score_rise reason of a frame's score when it rises
// above the recent level by more than the model's rise level.
func (j *Judge) riseOf(score float64) (level.Reason, bool) {
	if j.rise == nil {
		return level.Reason{}, false
	}
	r, ok := j.rise.Of(score)
	if !ok || !(r > j.model.RiseLevel) {
		return level.Reason{}, false
	}
	return level.Reason{Code: level.ScoreRise, Feature: "log_rise", Value: r, Level: level.Error}, true
}

// score scores f, with the statistics the judge computed when the scorer
// takes them (ferr: the statistics' error).
func (j *Judge) score(f sensors.Frame, ferr error) (float64, error) {
	m := &j.model
	t0 := time.Now()
	var s float64
	var err error
	if stats := j.feats.Stats(); m.stats != nil && ferr == nil && stats != nil {
		s, err = m.stats.ScoreStats(f, stats)
	} else {
		s, err = m.Scorer.Score(f)
	}
	j.scoreDur = time.Since(t0)
	dt := j.scoreDur.Seconds()
	if j.ewma == 0 {
		j.ewma = dt
	} else {
		j.ewma = 0.9*j.ewma + 0.1*dt
	}
	return s, err
}

// ScoreDuration is how long the latest scored frame took to score.
func (j *Judge) ScoreDuration() time.Duration { return j.scoreDur }

// decimation is how many frames pass per scored frame under the budget.
func (j *Judge) decimation() int {
	b := j.budget.Seconds()
	if b <= 0 || j.ewma <= b {
		return 1
	}
	return int(min(100, math.Ceil(j.ewma/b)))
}

// Unreadable judges a frame that arrived at received but could not be
// decoded (a recording's unreadable file): bad evidence, since a sensor
// writing frames nobody can read is not to be trusted.
func (j *Judge) Unreadable(received time.Time, err error) Verdict {
	j.forget()
	rs := append(j.reasons[:0], level.Reason{Code: level.ScorerError, Feature: "unreadable_frame", Value: 1, Level: level.Error})
	rs = append(rs, j.freq...)
	j.reasons = rs
	st := j.decider.Frame(decision.Input{Threshold: j.model.Threshold, Reasons: rs})
	j.snap.State = st
	j.snap.Frames++
	return Verdict{State: st, Bad: true, ScoreErr: err, Score: math.Inf(1), Decimation: j.decim}
}

// Tick runs the 1 Hz stream update when it is due and the stale check; every
// is the time until the next Tick. A sensor is declared STALE at the last
// tick before its silence exceeds the timeout (the silence then lies in
// (StaleAfter − every, StaleAfter]), so STALE is never later than the
// configured timeout. The verdict's Changed is true when the sensor has
// just gone STALE.
func (j *Judge) Tick(now time.Time, every time.Duration) Verdict {
	if !now.Before(j.nextUpdate) {
		r := j.checker.Update(now)
		j.freq = j.freq[:0]
		for _, x := range r.Reasons {
			switch x.Code {
			case level.NoEvents, level.RateLow, level.RateHigh, level.NoDataUpdate:
				j.freq = append(j.freq, x)
			}
		}
		j.nextUpdate = j.nextUpdate.Add(time.Second)
		if j.nextUpdate.Before(now) {
			j.nextUpdate = now.Add(time.Second)
		}
	}
	if !j.checker.Stale(now.Add(every)) || j.decider.Level() == level.Stale {
		// Nothing changed since the latest frame, whose change (if it
		// was one) has been reported with it.
		st := j.snap.State
		st.Changed = false
		return Verdict{State: st, Decimation: j.decim}
	}
	silent := now.Sub(j.checker.LastReceived())
	st := j.decider.MarkStale(silent)
	// The stream starts afresh when data resumes: nothing compares its
	// first frame with the frame before the silence.
	j.checker.Reset()
	j.feats.Reset()
	j.forget()
	if j.rise != nil {
		j.rise.Reset()
	}
	if r, ok := j.model.Scorer.(resetter); ok {
		r.Reset()
	}
	j.freq = j.freq[:0]
	j.snap.State = st
	return Verdict{State: st, Decimation: j.decim, Silent: silent}
}

// forget makes the next frame the first of a new stream for the content
// checks that compare frames: the frozen-frame, torn-frame and blank-frame
// checks. The lens dirt and veil checks keep their frames: dirt on the
// lens or light over it before a gap is still there after it, and a frame
// after a gap shows a new blob or veil only where the rest of the view
// matches the last frame before it.
func (j *Judge) forget() {
	j.hash.forget()
	if j.tears != nil {
		j.tears.Reset()
	}
	if j.blanks != nil {
		j.blanks.Reset()
	}
}

// Stop marks the sensor STALE because nothing will judge it any more (the
// agent is stopping). The verdict is always a change.
func (j *Judge) Stop() Verdict {
	st := j.decider.Stop()
	j.snap.State = st
	return Verdict{State: st, Decimation: j.decim}
}

// HealthFeatures returns the health feature vector of the latest frame
// (natural units, in the order of the health model's names), valid until
// the next call.
func (j *Judge) HealthFeatures() []float64 { return j.fv }

// Snapshot returns what the judge knows of its sensor now.
func (j *Judge) Snapshot() Snapshot { return j.snap }

// Level returns the sensor's current level.
func (j *Judge) Level() level.Level { return j.decider.Level() }
