package host

import (
	"fmt"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/level"
)

// Persistence is the host's alarm rule over the model's per-sample
// verdicts: the host is at level L (WARN or ERROR) when at least K of the
// last N samples were at L or worse, and leaves a level only after M
// samples in a row below it. A lone spike (one bus error, one slow GC
// pause) is not an alarm; a fault that lasts is. The thresholds a Learner
// sets are calibrated for this rule (decision.AlarmTail), so the alarm
// target holds for the rule's entries, not for single samples.
type Persistence struct {
	opts   decision.Options
	hist   []level.Level
	i      int
	calm   int // samples in a row below the current level
	level  level.Level
	reason []level.Reason
}

// DefaultPersistence is 3 of the last 10 samples to enter, 30 calm ones to
// leave: at 1 Hz an alarm after three seconds of trouble, cleared after
// half a minute without.
func DefaultPersistence() decision.Options { return decision.Options{K: 3, N: 10, M: 30} }

// NewPersistence returns the rule; zero options take DefaultPersistence.
func NewPersistence(opts decision.Options) (*Persistence, error) {
	if opts == (decision.Options{}) {
		opts = DefaultPersistence()
	}
	if err := opts.WithDefaults().Validate(); err != nil {
		return nil, fmt.Errorf("host: persistence: %w", err)
	}
	return &Persistence{opts: opts, hist: make([]level.Level, opts.N)}, nil
}

// Level returns the current level.
func (p *Persistence) Level() level.Level { return p.level }

// Reasons returns the reasons of the latest sample at the current level or
// worse (nil when OK).
func (p *Persistence) Reasons() []level.Reason { return p.reason }

// Next adds one sample's verdict and its deterministic flag
// (Sample.Flagged) and returns the host level. A flag is the firmware's
// verdict, not a statistical one, so it is no false alarm to wait out: a
// flagged sample makes the host WARN at once (ERROR when the model says
// so), and counts as WARN in the rule's window.
func (p *Persistence) Next(r health.Result, f Flag) level.Level {
	if f != FlagNone && r.Level < level.Warn {
		r.Level = level.Warn
		r.Reasons = []level.Reason{{Code: level.HealthWarn, Feature: f.feature(), Value: 1, Level: level.Warn}}
	}
	p.hist[p.i] = r.Level
	p.i = (p.i + 1) % len(p.hist)
	held := level.OK
	for _, l := range []level.Level{level.Error, level.Warn} {
		n := 0
		for _, h := range p.hist {
			if h >= l && h != level.Stale {
				n++
			}
		}
		if n >= p.opts.K {
			held = l
			break
		}
	}
	if f != FlagNone {
		held = max(held, r.Level)
	}
	if r.Level >= p.level && r.Level != level.OK {
		p.reason = r.Reasons
	}
	if r.Level >= p.level {
		p.calm = 0
	} else {
		p.calm++
	}
	switch {
	case held > p.level:
		p.level, p.calm = held, 0
	case p.calm >= p.opts.M:
		p.level, p.calm = held, 0
	}
	if p.level == level.OK {
		p.reason = nil
	}
	return p.level
}

// Reset forgets the history (a new model).
func (p *Persistence) Reset() {
	clear(p.hist)
	p.i, p.calm, p.level, p.reason = 0, 0, level.OK, nil
}
