package host

import "time"

// Sampler is the host stage's source: it reads the host once per call,
// with rates over the time since the previous call. The agent calls it
// from one goroutine, once a period. Collector reads /proc and /sys;
// package hosttest replays recorded samples, package hostsim simulates a machine.
type Sampler interface {
	Sample(now time.Time) Sample
}

// BusCounted is implemented by samplers that take the sources' bus error
// counter from the agent (Collector does); the agent calls it before the
// first Sample.
type BusCounted interface {
	SetBusErrorsIfUnset(fn func() uint64)
}

// JudgingAware is implemented by samplers that want to know when a host
// model starts judging their samples (hostsim.Machine schedules its
// faults from then, so a demonstration shows them after learning however
// long learning took). The agent calls Judging before the first Sample a
// model judges, from the goroutine that calls Sample.
type JudgingAware interface {
	Judging(now time.Time)
}

// Flag is a deterministic verdict on one sample: a condition the firmware
// reports outright, which needs no model to be called bad.
type Flag string

const (
	FlagNone         Flag = ""
	FlagThrottled    Flag = "throttled"
	FlagUnderVoltage Flag = "under-voltage"
)

// Flagged returns the first deterministic flag the sample raises: under-
// voltage, then throttling. A flagged sample is never learnt as normal.
func (s Sample) Flagged() Flag {
	switch {
	case s.UnderVoltage:
		return FlagUnderVoltage
	case s.Throttled:
		return FlagThrottled
	}
	return FlagNone
}

// feature is the host feature that carries the flag.
func (f Flag) feature() string {
	if f == FlagUnderVoltage {
		return "under_voltage"
	}
	return "throttled"
}
