package decision

import (
	"fmt"
	"math"
	"slices"
)

// Rise measurement.
const (
	// RiseWindow is the number of frames whose median is the stream's
	// recent level.
	RiseWindow = 8
	// RiseFrames is how many frames in a row a rise must hold unless a
	// model says otherwise (NewRise). Clean scene events that raise a
	// score at once (something close entering the view) pass within a few
	// frames; a fault stays.
	RiseFrames = 5
	// RiseOffset is added to a score, in its own units (nats for a
	// likelihood regret), before its logarithm, so that the noise of
	// scores near zero is not read as a rise.
	RiseOffset = 1.0
)

// Rise measures how far a frame score has risen above the stream's own
// recent level and stayed there: the least, over the latest frames of its
// hold (RiseFrames by default), of log(s + RiseOffset) minus the level, the
// median of the same over RiseWindow frames the stream was trusted on
// before the latest hold frames of those (negative scores count as 0).
//
// It is the evidence for faults that appear at once. A new scene moves a
// sensor's frame score slowly, as the view changes, and far: a camera's
// score may wander over a factor of twenty in a minute of clean drive,
// which no fixed threshold both tolerates and catches a fault within. A
// fault that appears (dirt on the lens, fog, a bad exposure) moves it in
// one frame, and keeps it there. The level learns only frames the stream
// was trusted on, the latest hold frames of them only once they are older
// (so the first frames of a fault are not its normal), and the frames
// still waiting are dropped when the stream is not trusted; it forgets
// everything after forget frames without a trusted one (the stream then
// starts a new level once it is trusted again), so a lasting change of
// scene that raised ERROR ends.
//
// The zero value measures nothing; use NewRise. It is not safe for
// concurrent use.
type Rise struct {
	forget  int
	level   ring // log(s + RiseOffset) of learnt frames, past pending
	pending ring // the latest hold frames learnt, oldest first
	rises   ring // the latest rises measured
	since   int  // frames measured since the latest one learnt
}

// ring is a short first-in first-out buffer of size values (at most
// RiseWindow).
type ring struct {
	v          [RiseWindow]float64
	size, n, i int // capacity; values held; index of the oldest when full
}

// push appends x and returns the oldest value, which it pushed out, when
// the ring was full.
func (r *ring) push(x float64) (out float64, full bool) {
	if r.n < r.size {
		r.v[(r.i+r.n)%r.size] = x
		r.n++
		return 0, false
	}
	out = r.v[r.i]
	r.v[r.i] = x
	r.i = (r.i + 1) % r.size
	return out, true
}

func (r *ring) clear() { r.n, r.i = 0, 0 }

// ErrRiseFrames is returned by NewRise for a hold outside
// [1, RiseWindow].
var ErrRiseFrames = fmt.Errorf("decision: a rise holds 1 to %d frames", RiseWindow)

// NewRise returns a Rise whose rises hold frames frames (0: RiseFrames) and
// that forgets its level after forget frames without learning one (forget
// ≤ 0: never).
func NewRise(frames, forget int) (*Rise, error) {
	if frames == 0 {
		frames = RiseFrames
	}
	if frames < 1 || frames > RiseWindow {
		return nil, fmt.Errorf("%w: %d", ErrRiseFrames, frames)
	}
	return &Rise{forget: forget, level: ring{size: RiseWindow}, pending: ring{size: frames}, rises: ring{size: frames}}, nil
}

// Frames is how many frames in a row a rise must hold.
func (r *Rise) Frames() int { return r.rises.size }

// Of measures the rise of a frame with this score and returns the least
// over the latest Frames frames, and false until Frames frames in a row
// were measured against a full level. A NaN score has no rise and breaks
// the row; +Inf rises without bound.
func (r *Rise) Of(score float64) (float64, bool) {
	r.since++
	if r.forget > 0 && r.since > r.forget {
		r.Reset()
	}
	if r.level.n < r.level.size || math.IsNaN(score) {
		r.rises.clear()
		return 0, false
	}
	s := r.level.v
	slices.Sort(s[:])
	lv := (s[RiseWindow/2-1] + s[RiseWindow/2]) / 2
	r.rises.push(riseLog(score) - lv)
	if r.rises.n < r.rises.size {
		return 0, false
	}
	return slices.Min(r.rises.v[:r.rises.size]), true
}

// Learn adds the score of a frame the stream was trusted on. Scores that
// are not finite are not learnt.
func (r *Rise) Learn(score float64) {
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return
	}
	r.since = 0
	if old, ok := r.pending.push(riseLog(score)); ok {
		r.level.push(old)
	}
}

// Untrusted drops the learnt frames not yet in the level: the stream was
// not trusted after them.
func (r *Rise) Untrusted() { r.pending.clear() }

// Reset forgets everything, as after a silence.
func (r *Rise) Reset() {
	r.level.clear()
	r.pending.clear()
	r.rises.clear()
	r.since = 0
}

func riseLog(score float64) float64 { return math.Log(max(score, 0) + RiseOffset) }

// Rises returns each frame's Rise.Of over a clean run of scores for rises
// that hold frames frames (0: RiseFrames), in order, as a stream trusted on
// every frame measures them, 0 until it measures: the runs calibration sets
// the rise alarm on. Scores that are not finite count as 0.
func Rises(run []float64, frames int) ([]float64, error) {
	r, err := NewRise(frames, 0)
	if err != nil {
		return nil, err
	}
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
	return out, nil
}
