package decision

import (
	"math"
	"slices"
)

// Rise measurement.
const (
	// RiseWindow is the number of the stream's latest trusted frames whose
	// median is its recent level.
	RiseWindow = 8
	// RiseOffset is added to a score, in its own units (nats for a
	// likelihood regret), before its logarithm, so that the noise of
	// scores near zero is not read as a rise.
	RiseOffset = 1.0
)

// Rise measures how far a frame score rises above the stream's own recent
// level: log(s + RiseOffset) minus the median of the same over the latest
// RiseWindow frames the stream was trusted on (negative scores count as 0).
//
// It is the evidence for faults that appear at once. A new scene moves a
// sensor's frame score slowly, as the view changes, and far: a camera's
// score may wander over a factor of twenty in a minute of clean drive,
// which no fixed threshold both tolerates and catches a fault within. A
// fault that appears (dirt on the lens, fog, a bad exposure, a beam lost)
// moves it in one frame, against a level measured a moment before. The
// level learns only frames the stream was trusted on, so the frames of a
// fault that raised ERROR never become its normal; it forgets them after
// Hold frames without one (the stream then starts a new level once it is
// trusted again), so a lasting change of scene that raised ERROR ends.
//
// The zero value measures nothing; use NewRise. It is not safe for
// concurrent use.
type Rise struct {
	hold   int
	recent [RiseWindow]float64 // ring of log(s + RiseOffset)
	n, i   int
	since  int // frames measured since the latest one learnt
}

// NewRise returns a Rise that forgets its level after hold frames without
// learning one (hold ≤ 0: never).
func NewRise(hold int) *Rise { return &Rise{hold: hold} }

// Of returns the rise of score over the recent level, and false while the
// level holds fewer than RiseWindow frames. A NaN score has no rise; +Inf
// rises without bound.
func (r *Rise) Of(score float64) (float64, bool) {
	r.since++
	if r.hold > 0 && r.since > r.hold {
		r.Reset()
	}
	if r.n < RiseWindow || math.IsNaN(score) {
		return 0, false
	}
	s := r.recent
	slices.Sort(s[:])
	level := (s[RiseWindow/2-1] + s[RiseWindow/2]) / 2
	return riseLog(score) - level, true
}

// Learn adds the score of a frame the stream was trusted on to the level.
// Scores that are not finite are not learnt.
func (r *Rise) Learn(score float64) {
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return
	}
	r.recent[r.i] = riseLog(score)
	r.i = (r.i + 1) % RiseWindow
	r.n = min(r.n+1, RiseWindow)
	r.since = 0
}

// Reset forgets the level, as after a silence.
func (r *Rise) Reset() { r.n, r.i, r.since = 0, 0, 0 }

func riseLog(score float64) float64 { return math.Log(max(score, 0) + RiseOffset) }

// Rises returns each frame's rise over a clean run of scores, in order,
// as a stream trusted on every frame measures them, 0 while the level is
// not yet full: the runs calibration sets the rise alarm on. Scores that
// are not finite count as 0.
func Rises(run []float64) []float64 {
	r := NewRise(0)
	out := make([]float64, len(run))
	for i, s := range run {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			s = 0
		}
		if v, ok := r.Of(s); ok {
			out[i] = v
		}
		r.Learn(s)
	}
	return out
}
