package agent

import (
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Replay runs a Judge over a recorded stream on the stream's own clock:
// each frame is observed and judged at its Received time, and the judge is
// ticked every TickInterval in between, as trustd's ticker ticks it. A
// recording is thus judged as trustd would judge it live, as fast as the
// judge runs, and the same recording always gives the same verdicts.
type Replay struct {
	j       *Judge
	every   time.Duration
	started bool
	next    time.Time
	silent  time.Duration
}

// NewReplay returns a replay driving j, which must not have been started.
func NewReplay(j *Judge) *Replay {
	return &Replay{j: j, every: j.TickInterval()}
}

// Judge returns the judge being driven.
func (r *Replay) Judge() *Judge { return r.j }

// Frame judges f at its Received time (its Stamp when it has none, which
// is then written into its header, as trustd does with its clock). The
// verdict's Silent is the silence that made the stream STALE before f, if
// it did.
func (r *Replay) Frame(f sensors.Frame) Verdict {
	h := f.Head()
	if h.Received.IsZero() {
		h.Received = h.Stamp
	}
	r.advance(h.Received)
	v := r.j.Frame(f, r.j.Observe(*h), 0)
	v.Silent, r.silent = r.silent, 0
	return v
}

// Unreadable judges a frame that arrived at received but could not be
// decoded.
func (r *Replay) Unreadable(received time.Time, err error) Verdict {
	r.advance(received)
	v := r.j.Unreadable(received, err)
	v.Silent, r.silent = r.silent, 0
	return v
}

// advance starts the judge at the first frame and ticks it up to t; time
// never goes back.
func (r *Replay) advance(t time.Time) {
	if !r.started {
		r.started = true
		r.j.Start(t)
		r.next = t.Add(r.every)
	}
	for !r.next.After(t) {
		if v := r.j.Tick(r.next, r.every); v.Silent > 0 {
			r.silent = v.Silent
		}
		r.next = r.next.Add(r.every)
	}
}
