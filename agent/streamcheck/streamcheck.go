package streamcheck

import (
	"errors"
	"fmt"
	"time"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// Options configure a Checker. Zero fields take the defaults given.
type Options struct {
	// MinFreq and MaxFreq bound the expected rate in Hz; default 1/period.
	MinFreq, MaxFreq float64
	// Tolerance widens the frequency range; default 0.1.
	Tolerance float64
	// WindowSize is the number of updates the rate is averaged over; default 5.
	WindowSize int
	// MinDelay and MaxDelay bound Received − Stamp; default −1 s and +5 s
	// (zero means the default).
	MinDelay, MaxDelay time.Duration
	// StaleAfter is how long without a frame makes the stream STALE;
	// default max(5·period, 500 ms).
	StaleAfter time.Duration
	// ClockJump is the largest disagreement allowed between a stamp step
	// and the matching receive-time step; default 500 ms.
	ClockJump time.Duration
}

// DefaultOptions returns the defaults for a stream of the given nominal period.
func DefaultOptions(period time.Duration) Options {
	o := Options{}
	o.fill(period)
	return o
}

func (o *Options) fill(period time.Duration) {
	if o.MinFreq == 0 && period > 0 {
		o.MinFreq = 1 / period.Seconds()
	}
	if o.MaxFreq == 0 && period > 0 {
		o.MaxFreq = 1 / period.Seconds()
	}
	if o.Tolerance == 0 {
		o.Tolerance = 0.1
	}
	if o.WindowSize == 0 {
		o.WindowSize = 5
	}
	if o.MinDelay == 0 {
		o.MinDelay = -time.Second
	}
	if o.MaxDelay == 0 {
		o.MaxDelay = 5 * time.Second
	}
	if o.StaleAfter == 0 {
		o.StaleAfter = max(5*period, 500*time.Millisecond)
	}
	if o.ClockJump == 0 {
		o.ClockJump = 500 * time.Millisecond
	}
}

// ErrOptions is wrapped by New for invalid options.
var ErrOptions = errors.New("streamcheck: invalid options")

func (o Options) validate() error {
	switch {
	case o.MinFreq <= 0 || o.MaxFreq < o.MinFreq:
		return fmt.Errorf("%w: frequency range [%g, %g] Hz (give a period or MinFreq ≤ MaxFreq)", ErrOptions, o.MinFreq, o.MaxFreq)
	case o.Tolerance < 0 || o.Tolerance >= 1:
		return fmt.Errorf("%w: tolerance %g not in [0, 1)", ErrOptions, o.Tolerance)
	case o.WindowSize < 1:
		return fmt.Errorf("%w: window size %d", ErrOptions, o.WindowSize)
	case o.MaxDelay <= o.MinDelay:
		return fmt.Errorf("%w: delay range [%v, %v]", ErrOptions, o.MinDelay, o.MaxDelay)
	case o.StaleAfter <= 0 || o.ClockJump <= 0:
		return fmt.Errorf("%w: StaleAfter %v, ClockJump %v must be positive", ErrOptions, o.StaleAfter, o.ClockJump)
	}
	return nil
}

// Frame is the verdict on one frame's timing, known as soon as it arrives.
type Frame struct {
	Delay   time.Duration  // Received − Stamp
	Reasons []level.Reason // per-frame problems; empty when the frame is fine
}

// Level is the worst level among the frame's reasons.
func (f Frame) Level() level.Level { return worst(f.Reasons) }

// Result is the state of the stream after a 1 Hz update.
type Result struct {
	Level    level.Level
	Reasons  []level.Reason
	Freq     float64       // events per second over the frequency window
	MinDelay time.Duration // smallest delay since the previous update
	MaxDelay time.Duration // largest delay since the previous update
	Frames   int           // frames since the previous update
}

// Checker checks one stream. It is not safe for concurrent use.
type Checker struct {
	opts Options

	started  bool
	count    uint64 // frames observed in total
	histT    []time.Time
	histN    []uint64
	histI    int
	lastRecv time.Time

	// Previous frame, for ordering and clock checks.
	havePrev  bool
	prevStamp time.Time
	prevRecv  time.Time
	prevSeq   uint64

	// Since the previous update.
	n                     int
	minD, maxD            time.Duration
	zero, early, late     int
	outOfOrder, jumps, gp int
}

// New returns a Checker for a stream with the given nominal period
// (0 when unknown; then MinFreq and MaxFreq must be set).
func New(period time.Duration, opts Options) (*Checker, error) {
	if period < 0 {
		return nil, fmt.Errorf("%w: negative period %v", ErrOptions, period)
	}
	opts.fill(period)
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Checker{
		opts:  opts,
		histT: make([]time.Time, opts.WindowSize),
		histN: make([]uint64, opts.WindowSize),
	}, nil
}

// Options returns the effective options, defaults filled in.
func (c *Checker) Options() Options { return c.opts }

// Start sets the time the stream is expected from; the frequency window and
// the stale timeout count from it. Calling Observe or Update first starts
// the checker at that call's time.
func (c *Checker) Start(now time.Time) {
	if c.started {
		return
	}
	c.started = true
	for i := range c.histT {
		c.histT[i] = now
	}
	c.lastRecv = now
}

// Reset forgets the previous frame, so that the next one is not compared
// with it (after a source reconnects, or a stale period).
func (c *Checker) Reset() { c.havePrev = false }

// Observe records one frame at its Received time and returns the per-frame
// verdict.
func (c *Checker) Observe(h sensors.Header) Frame {
	recv := h.Received
	c.Start(recv)
	c.count++
	c.n++
	c.lastRecv = recv
	var f Frame
	if h.Stamp.IsZero() {
		c.zero++
		f.Reasons = append(f.Reasons, level.Reason{Code: level.StampZero, Feature: "stamp", Level: level.Error})
		return f
	}
	f.Delay = recv.Sub(h.Stamp)
	if c.n == 1 || f.Delay < c.minD {
		c.minD = f.Delay
	}
	if c.n == 1 || f.Delay > c.maxD {
		c.maxD = f.Delay
	}
	switch {
	case f.Delay < c.opts.MinDelay:
		c.early++
		f.Reasons = append(f.Reasons, level.Reason{Code: level.StampEarly, Feature: "delay_s", Value: f.Delay.Seconds(), Level: level.Error})
	case f.Delay > c.opts.MaxDelay:
		c.late++
		f.Reasons = append(f.Reasons, level.Reason{Code: level.StampLate, Feature: "delay_s", Value: f.Delay.Seconds(), Level: level.Error})
	}
	if c.havePrev {
		dStamp := h.Stamp.Sub(c.prevStamp)
		dRecv := recv.Sub(c.prevRecv)
		if dStamp < 0 || h.Seq < c.prevSeq {
			c.outOfOrder++
			f.Reasons = append(f.Reasons, level.Reason{Code: level.OutOfOrder, Feature: "stamp_step_s", Value: dStamp.Seconds(), Level: level.Error})
		}
		if diff := dStamp - dRecv; diff > c.opts.ClockJump || diff < -c.opts.ClockJump {
			c.jumps++
			f.Reasons = append(f.Reasons, level.Reason{Code: level.ClockJump, Feature: "stamp_vs_receive_s", Value: diff.Seconds(), Level: level.Error})
		}
		if h.Seq > c.prevSeq+1 {
			c.gp++
			f.Reasons = append(f.Reasons, level.Reason{Code: level.SeqGap, Feature: "missing_frames", Value: float64(h.Seq - c.prevSeq - 1), Level: level.Warn})
		}
	}
	c.havePrev = true
	c.prevStamp, c.prevRecv, c.prevSeq = h.Stamp, recv, h.Seq
	return f
}

// Update is the 1 Hz diagnostic tick: it evaluates the frequency window and
// the time stamps seen since the previous update, then starts a new
// interval. STALE is not part of it; ask Stale.
func (c *Checker) Update(now time.Time) Result {
	c.Start(now)
	r := Result{Frames: c.n, MinDelay: c.minD, MaxDelay: c.maxD}

	// FrequencyStatus.
	events := c.count - c.histN[c.histI]
	window := now.Sub(c.histT[c.histI]).Seconds()
	c.histN[c.histI], c.histT[c.histI] = c.count, now
	c.histI = (c.histI + 1) % len(c.histN)
	if window > 0 {
		r.Freq = float64(events) / window
	}
	switch {
	case events == 0:
		r.Reasons = append(r.Reasons, level.Reason{Code: level.NoEvents, Feature: "freq_hz", Level: level.Error})
	case r.Freq < c.opts.MinFreq*(1-c.opts.Tolerance):
		r.Reasons = append(r.Reasons, level.Reason{Code: level.RateLow, Feature: "freq_hz", Value: r.Freq, Level: level.Warn})
	case r.Freq > c.opts.MaxFreq*(1+c.opts.Tolerance):
		r.Reasons = append(r.Reasons, level.Reason{Code: level.RateHigh, Feature: "freq_hz", Value: r.Freq, Level: level.Warn})
	}

	// TimeStampStatus.
	if c.n == 0 {
		r.Reasons = append(r.Reasons, level.Reason{Code: level.NoDataUpdate, Feature: "frames", Level: level.Warn})
	}
	if c.zero > 0 {
		r.Reasons = append(r.Reasons, level.Reason{Code: level.StampZero, Feature: "frames", Value: float64(c.zero), Level: level.Error})
	}
	if c.early > 0 {
		r.Reasons = append(r.Reasons, level.Reason{Code: level.StampEarly, Feature: "min_delay_s", Value: c.minD.Seconds(), Level: level.Error})
	}
	if c.late > 0 {
		r.Reasons = append(r.Reasons, level.Reason{Code: level.StampLate, Feature: "max_delay_s", Value: c.maxD.Seconds(), Level: level.Error})
	}
	if c.outOfOrder > 0 {
		r.Reasons = append(r.Reasons, level.Reason{Code: level.OutOfOrder, Feature: "frames", Value: float64(c.outOfOrder), Level: level.Error})
	}
	if c.jumps > 0 {
		r.Reasons = append(r.Reasons, level.Reason{Code: level.ClockJump, Feature: "frames", Value: float64(c.jumps), Level: level.Error})
	}
	if c.gp > 0 {
		r.Reasons = append(r.Reasons, level.Reason{Code: level.SeqGap, Feature: "gaps", Value: float64(c.gp), Level: level.Warn})
	}
	r.Level = worst(r.Reasons)
	c.n, c.zero, c.early, c.late, c.outOfOrder, c.jumps, c.gp = 0, 0, 0, 0, 0, 0, 0
	c.minD, c.maxD = 0, 0
	return r
}

// Stale reports whether no frame has arrived within StaleAfter before now
// (counting from Start when none has arrived yet).
func (c *Checker) Stale(now time.Time) bool {
	if !c.started {
		return false
	}
	return now.Sub(c.lastRecv) > c.opts.StaleAfter
}

// LastReceived is the Received time of the latest frame (or the start time).
func (c *Checker) LastReceived() time.Time { return c.lastRecv }

func worst(rs []level.Reason) level.Level {
	l := level.OK
	for _, r := range rs {
		l = level.Worse(l, r.Level)
	}
	return l
}
