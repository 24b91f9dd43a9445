package decision

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/agent/level"
)

// Level is the trust level; see package level for the values.
type Level = level.Level

// The levels, re-exported.
const (
	OK    = level.OK
	Warn  = level.Warn
	Error = level.Error
	Stale = level.Stale
)

// Options configure persistence. Zero fields take the defaults.
type Options struct {
	K int // bad frames among the last N that enter ERROR; default 3
	N int // window of frames for K and WarnK; default 5
	M int // consecutive frames without a bad one that leave ERROR; default 10
	// WarnK is the number of suspect frames (WARN or worse) among the last
	// N that enter WARN; default 2. The sensor leaves WARN when the last N
	// frames hold no suspect one, so a lone suspect frame neither enters
	// WARN nor makes it flap.
	WarnK int
	// SustainK, when positive, is the number of frames whose content is
	// suspect (frame score, health model, content checks) among the last
	// SustainN (default 50) that enter ERROR too: a fault that keeps every
	// frame suspect is an error however weak it is, while a clean scene
	// event makes a burst of suspect frames that ends. While the rule
	// holds, such frames keep the sensor in ERROR. Stream timing never
	// sustains: a slow stream warns. Off by default (0): it needs alarm
	// thresholds calibrated with it on (see agent.Calibrate).
	SustainK, SustainN int
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options { return Options{K: 3, N: 5, M: 10, WarnK: 2, SustainN: 50} }

// ErrOptions is wrapped by New for invalid options.
var ErrOptions = errors.New("decision: invalid options")

func (o *Options) fill() {
	d := DefaultOptions()
	if o.K == 0 {
		o.K = d.K
	}
	if o.N == 0 {
		o.N = max(d.N, o.K)
	}
	if o.M == 0 {
		o.M = d.M
	}
	if o.WarnK == 0 {
		o.WarnK = min(d.WarnK, o.K)
	}
	if o.SustainN == 0 {
		o.SustainN = max(d.SustainN, o.SustainK)
	}
}

// sustains says whether the sustained rule is on.
func (o Options) sustains() bool { return o.SustainK > 0 }

// Validate checks filled options.
func (o Options) Validate() error {
	if o.K < 1 || o.N < o.K || o.N > 1024 || o.M < 1 {
		return fmt.Errorf("%w: K=%d of N=%d, M=%d (want 1 ≤ K ≤ N ≤ 1024, M ≥ 1)", ErrOptions, o.K, o.N, o.M)
	}
	if o.WarnK < 1 || o.WarnK > o.K {
		return fmt.Errorf("%w: WarnK=%d (want 1 ≤ WarnK ≤ K=%d)", ErrOptions, o.WarnK, o.K)
	}
	if o.SustainK < 0 || o.sustains() && (o.SustainN < o.SustainK || o.SustainN > 1024) {
		return fmt.Errorf("%w: SustainK=%d of SustainN=%d (want SustainK ≤ SustainN ≤ 1024, or SustainK 0 for no sustained rule)", ErrOptions, o.SustainK, o.SustainN)
	}
	return nil
}

// Input is the evidence about one frame.
type Input struct {
	// Scored says whether the frame was scored (scoring may be decimated).
	Scored    bool
	Score     float64
	Threshold float64 // score above it makes the frame bad
	// WarnThreshold, when positive (and below Threshold), is the score
	// above which the frame is suspect.
	WarnThreshold float64
	// Reasons from the other checks; each asks for its own level.
	Reasons []level.Reason
}

// State is the decision after a frame (or a stale check).
type State struct {
	Level   Level
	Trusted bool
	Cause   level.Cause
	// Reasons for the level, most severe first. In ERROR they are those of
	// the latest bad frame until the sensor leaves ERROR.
	Reasons []level.Reason
	// Score and Threshold of the latest scored frame.
	Score, Threshold float64
	// Bad is the most frames of the last N that one alarm found bad
	// (counting frames of certain evidence with each); Suspect likewise
	// for suspect frames (WARN or worse).
	Bad, Suspect int
	// Sustained is the number of frames with suspect content among the
	// last SustainN; Held says whether they reach SustainK (the sustained
	// rule holds).
	Sustained int
	Held      bool
	// FrameLevel is the level of the latest frame's own evidence, before
	// persistence (ERROR makes it a bad frame).
	FrameLevel Level
	// Changed is true when Level differs from the previous call's.
	Changed bool

	// clean, n, m and sn say how far the rule is towards leaving ERROR
	// (for the message).
	clean, n, m, sn int
}

// Decider holds the persistence state of one sensor. It is not safe for
// concurrent use.
type Decider struct {
	opts Options
	// hist and sus are rings of the last N frames: the alarms (see alarmOf)
	// that found each frame bad, and those that found it suspect (WARN or
	// worse).
	hist    []alarms
	sus     []alarms
	histI   int
	long    []bool // ring of "content suspect" flags of the last SustainN frames
	longI   int
	susLong int // suspect frames among the last SustainN
	bad     int // the most frames of the last N one alarm found bad (see most)
	suspect int // likewise suspect
	clean   int // consecutive frames without a bad verdict
	level   Level
	lastBad []level.Reason
	lastSus []level.Reason // reasons of the latest suspect frame
	rs      []level.Reason // the latest frame's reasons (reused)
	score   float64
	thresh  float64
	// scoredBad and scoredSus are rings of the score's alarms (score_high,
	// score_rise) that found each of the last N scored frames bad and
	// suspect, and scoreRs that evidence on the latest one: what a frame
	// left unscored carries (see Frame).
	scoredBad, scoredSus []alarms
	scoredI              int
	scoreRs              []level.Reason
}

// New returns a Decider starting at STALE (see Unjudged): nothing is
// trusted before a frame has been judged, and the first frame is a change.
func New(opts Options) (*Decider, error) {
	opts.fill()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	d := &Decider{opts: opts, hist: make([]alarms, opts.N), sus: make([]alarms, opts.N),
		scoredBad: make([]alarms, opts.N), scoredSus: make([]alarms, opts.N), level: Stale, score: math.NaN(), thresh: math.NaN()}
	if opts.sustains() {
		d.long = make([]bool, opts.SustainN)
	}
	return d, nil
}

// Unjudged is the state of a new Decider: STALE, not trusted, because no
// frame has been judged yet.
func Unjudged() State {
	return State{
		Level:     Stale,
		Cause:     level.CauseStream,
		Reasons:   []level.Reason{{Code: level.NotJudged, Level: level.Stale}},
		Score:     math.NaN(),
		Threshold: math.NaN(),
	}
}

// WithDefaults returns o with its zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	o.fill()
	return o
}

// Options returns the effective options.
func (d *Decider) Options() Options { return d.opts }

// Level returns the current level.
func (d *Decider) Level() Level { return d.level }

// Frame decides after one frame.
func (d *Decider) Frame(in Input) State {
	rs := d.rs[:0]
	if in.Scored {
		d.score, d.thresh = in.Score, in.Threshold
		switch {
		case in.Score > in.Threshold || math.IsNaN(in.Score):
			rs = append(rs, level.Reason{Code: level.ScoreHigh, Feature: "score", Value: in.Score, Level: level.Error})
		case in.WarnThreshold > 0 && in.Score > in.WarnThreshold:
			rs = append(rs, level.Reason{Code: level.ScoreHigh, Feature: "score", Value: in.Score, Level: level.Warn})
		}
	}
	rs = append(rs, in.Reasons...)
	if in.Scored {
		d.noteScore(rs)
	} else {
		rs = d.carryScore(rs)
	}
	sortReasons(rs)
	d.rs = rs
	verdict, content := level.OK, level.OK
	var bad, sus alarms
	for _, r := range rs {
		switch r.Code.Group() {
		case level.GroupInfo:
			continue
		case level.GroupContent:
			content = level.Worse(content, r.Level)
		}
		verdict = level.Worse(verdict, r.Level)
		if r.Level >= level.Warn {
			sus |= alarmOf(r.Code)
		}
		if r.Level >= level.Error {
			bad |= alarmOf(r.Code)
		}
	}
	isBad := verdict >= level.Error
	isSuspect := verdict >= level.Warn
	// Only the frame's content sustains: a stream that runs slow for
	// minutes still delivers good data, and warns.
	sustains := content >= level.Warn

	d.hist[d.histI], d.sus[d.histI] = bad, sus
	d.bad, d.suspect = most(d.hist), most(d.sus)
	if isSuspect {
		d.lastSus = append(d.lastSus[:0], rs...)
	}
	held := false
	if d.long != nil {
		if d.long[d.longI] {
			d.susLong--
		}
		d.long[d.longI] = sustains
		if sustains {
			d.susLong++
		}
		d.longI = (d.longI + 1) % len(d.long)
		held = d.susLong >= d.opts.SustainK
	}
	if isBad {
		d.lastBad = append(d.lastBad[:0], rs...)
	}
	if isBad || sustains && held {
		d.clean = 0
	} else {
		d.clean++
	}
	d.histI = (d.histI + 1) % len(d.hist)

	prev := d.level
	switch {
	case d.level == Error && d.clean >= d.opts.M:
		d.level = OK
		d.clearHistory()
		if isSuspect {
			// Out of ERROR on a suspect frame: WARN, and this frame
			// counts towards leaving it.
			d.level = Warn
			d.sus[0], d.suspect, d.histI = sus, 1, 1
		}
	case d.level == Error:
	case d.bad >= d.opts.K:
		d.level = Error
	case held:
		// Sustained: the latest suspect frame's reasons say why.
		d.level = Error
		d.lastBad = append(d.lastBad[:0], d.lastSus...)
	case d.suspect >= d.opts.WarnK, d.level == Warn && d.suspect > 0:
		d.level = Warn
	default:
		d.level = OK
	}
	st := State{Level: d.level, Score: d.score, Threshold: d.thresh, Bad: d.bad, Suspect: d.suspect, Sustained: d.susLong, Held: held,
		FrameLevel: verdict, Changed: d.level != prev, clean: d.clean, n: d.opts.N, m: d.opts.M, sn: d.opts.SustainN}
	st.Reasons = rs
	switch {
	case d.level == Error && !isBad:
		st.Reasons = d.lastBad
	case d.level == Warn && !isSuspect:
		st.Reasons = d.lastSus
	}
	st.Trusted = st.Level == OK || st.Level == Warn
	st.Cause = level.CauseOf(st.Reasons)
	if st.Level == OK {
		st.Cause = level.CauseNone
	}
	return st
}

// MarkStale records that no frame has arrived for silent, longer than the
// stream's stale timeout. The history is cleared: when data resumes the sensor starts afresh.
func (d *Decider) MarkStale(silent time.Duration) State {
	prev := d.level
	d.level = Stale
	d.clearHistory()
	st := State{
		Level:     Stale,
		Cause:     level.CauseStream,
		Reasons:   []level.Reason{{Code: level.StaleCode, Feature: "silent_s", Value: silent.Seconds(), Level: level.Stale}},
		Score:     d.score,
		Threshold: d.thresh,
		Changed:   prev != Stale,
	}
	return st
}

// Stop records that no more frames will be judged (the agent is stopping):
// STALE, not trusted. Changed is always true, even from STALE: the state
// says something new and must be published as a change.
func (d *Decider) Stop() State {
	d.level = Stale
	d.clearHistory()
	return State{
		Level:     Stale,
		Cause:     level.CauseStream,
		Reasons:   []level.Reason{{Code: level.Stopping, Level: level.Stale}},
		Score:     d.score,
		Threshold: d.thresh,
		Changed:   true,
	}
}

func (d *Decider) clearHistory() {
	clear(d.hist)
	clear(d.sus)
	clear(d.long)
	clear(d.scoredBad)
	clear(d.scoredSus)
	d.bad, d.suspect, d.clean, d.histI = 0, 0, 0, 0
	d.susLong, d.longI = 0, 0
	d.scoredI, d.scoreRs = 0, d.scoreRs[:0]
}

// alarms is a set of alarms, one bit each (see alarmOf).
type alarms uint8

// The alarms that count their frames apart. Each calibrated alarm has its
// threshold set so that the persistence rule, fed its frames alone, fires
// at the calibrated rate on clean drive (AlarmTail); counting the frames
// of two calibrated alarms together would add windows their calibration
// never saw, such as two clean score peaks and one clean rise. Certain
// evidence (integrity checks, stream timing, a failed scorer) is not
// calibrated against clean drive and counts with every alarm.
const (
	certain   alarms = 1 << iota
	scoreHigh        // frame score above its threshold
	scoreRise        // frame score risen above the stream's recent level
	health           // the sensor's health autoencoder
	host             // the host's health autoencoder
)

// alarmOf returns the alarm whose evidence a reason code is.
func alarmOf(c level.Code) alarms {
	switch c {
	case level.ScoreHigh:
		return scoreHigh
	case level.ScoreRise:
		return scoreRise
	case level.HealthWarn, level.HealthError:
		return health
	case level.HostWarn, level.HostError:
		return host
	}
	return certain
}

// most returns the most frames of a ring that one alarm found, counting
// with each alarm the frames of certain evidence.
func most(ring []alarms) int {
	best := 0
	for a := certain; a <= host; a <<= 1 {
		best = max(best, count(ring, a|certain))
	}
	return best
}

// count returns the frames of a ring that any alarm of a found.
func count(ring []alarms, a alarms) int {
	n := 0
	for _, f := range ring {
		if f&a != 0 {
			n++
		}
	}
	return n
}

// fromScore says whether a reason is the frame score's evidence.
func fromScore(c level.Code) bool { return c == level.ScoreHigh || c == level.ScoreRise }

// noteScore records the score's evidence among a scored frame's reasons.
func (d *Decider) noteScore(rs []level.Reason) {
	var bad, sus alarms
	d.scoreRs = d.scoreRs[:0]
	for _, r := range rs {
		if !fromScore(r.Code) {
			continue
		}
		if r.Level >= level.Warn {
			sus |= alarmOf(r.Code)
		}
		if r.Level >= level.Error {
			bad |= alarmOf(r.Code)
		}
		d.scoreRs = append(d.scoreRs, r)
	}
	d.scoredBad[d.scoredI], d.scoredSus[d.scoredI] = bad, sus
	d.scoredI = (d.scoredI + 1) % len(d.scoredBad)
}

// carryScore appends to the reasons of a frame left unscored (scoring is
// decimated, or the scorer failed) the score's evidence on the latest
// scored frame, while the scored frames alone hold the rule for it: ERROR
// evidence when its alarm found K of the last N scored frames bad, WARN
// when WarnK suspect. Under decimation every n-th frame is scored, so
// without it a fault only the score sees would give at most ⌈N/n⌉ bad
// frames in N and, from n = 3 with the default 3 of 5, never enter ERROR;
// carried unconditionally, one bad scored frame would count n times.
// Carried this way, the rule holds on scored frames as calibrated, and a
// fault enters ERROR once one alarm found K of N scored frames bad.
func (d *Decider) carryScore(rs []level.Reason) []level.Reason {
	for _, r := range d.scoreRs {
		a := alarmOf(r.Code)
		switch {
		case r.Level >= Error && count(d.scoredBad, a) >= d.opts.K:
		case r.Level >= Warn && count(d.scoredSus, a) >= d.opts.WarnK:
			r.Level = Warn
		default:
			continue
		}
		rs = append(rs, r)
	}
	return rs
}

// Message says the state in one line for people, e.g.
// "ERROR: 3 of last 5 frames bad (score_high score=9.1, ...)".
func (st State) Message() string {
	var b strings.Builder
	b.WriteString(st.Level.String())
	switch st.Level {
	case OK:
		switch {
		case st.Suspect > 0:
			fmt.Fprintf(&b, ": %d of last %d frames suspect, too few to warn", st.Suspect, st.n)
		case !math.IsNaN(st.Score):
			fmt.Fprintf(&b, ": score %.3g ≤ threshold %.3g", st.Score, st.Threshold)
		}
		return b.String()
	case Stale:
		switch {
		case len(st.Reasons) == 0:
		case st.Reasons[0].Code == level.NotJudged:
			b.WriteString(": no frame judged yet")
		case st.Reasons[0].Code == level.Stopping:
			b.WriteString(": trustd stopping")
		default:
			fmt.Fprintf(&b, ": no data for %.1f s", st.Reasons[0].Value)
		}
		return b.String()
	case Error:
		switch {
		case st.clean == 0 && st.Held && st.Bad == 0:
			fmt.Fprintf(&b, ": %d of last %d frames suspect", st.Sustained, st.sn)
		case st.clean == 0:
			fmt.Fprintf(&b, ": %d of last %d frames bad", st.Bad, st.n)
		default:
			fmt.Fprintf(&b, ": recovering, %d of %d clean frames", st.clean, st.m)
		}
	case Warn:
		fmt.Fprintf(&b, ": %d of last %d frames suspect", st.Suspect, st.n)
	}
	if len(st.Reasons) > 0 {
		b.WriteString(" (")
		for i, r := range st.Reasons {
			if i == 3 {
				fmt.Fprintf(&b, ", +%d more", len(st.Reasons)-3)
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(r.String())
		}
		b.WriteString(")")
	}
	return b.String()
}

// sortReasons puts the most severe first, keeping the given order otherwise.
func sortReasons(rs []level.Reason) {
	slices.SortStableFunc(rs, func(a, b level.Reason) int { return cmp.Compare(b.Level, a.Level) })
}
