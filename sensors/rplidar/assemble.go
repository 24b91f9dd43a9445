package rplidar

import (
	"math"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Assembler groups samples into revolutions at the start flag. Samples
// before the first start flag belong to no complete revolution and are
// dropped.
type Assembler struct {
	cur     []sensors.Point
	first   time.Time
	last    time.Time
	started bool
	// MaxPoints caps a revolution (default 8192): a stream that never sets
	// the start flag again cannot grow memory without bound.
	MaxPoints int
	// Dropped counts samples discarded (before the first start flag or
	// beyond MaxPoints).
	Dropped uint64
}

// Revolution is an assembled revolution before it becomes a Scan.
type Revolution struct {
	Points []sensors.Point
	First  time.Time // receive time of the first sample
	Last   time.Time // receive time of the last sample
}

// Add appends sample s received at t. When s starts a new revolution and a
// previous one is complete, Add returns it.
func (a *Assembler) Add(s Sample, t time.Time) (Revolution, bool) {
	var done Revolution
	ok := false
	if s.Start {
		if a.started && len(a.cur) > 0 {
			done, ok = Revolution{Points: a.cur, First: a.first, Last: a.last}, true
		}
		a.started = true
		a.cur = make([]sensors.Point, 0, max(len(done.Points), 512))
		a.first = t
	}
	if !a.started {
		a.Dropped++
		return done, ok
	}
	limit := a.MaxPoints
	if limit <= 0 {
		limit = 8192
	}
	if len(a.cur) >= limit {
		a.Dropped++
		return done, ok
	}
	az := s.Azimuth()
	r := s.Metres()
	sin, cos := math.Sincos(float64(az))
	a.cur = append(a.cur, sensors.Point{
		X:         float32(float64(r) * sin),
		Y:         float32(float64(r) * cos),
		Intensity: float32(s.Quality) / 63,
		Range:     r,
		Azimuth:   az,
		Offset:    int32(t.Sub(a.first) / time.Microsecond),
	})
	a.last = t
	return done, ok
}

// Reset forgets the revolution in progress (after the stream was lost).
func (a *Assembler) Reset() {
	a.cur, a.started = nil, false
}
