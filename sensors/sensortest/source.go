package sensortest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// SourceOptions configure a fake Source. The zero value replays the frames
// once, as fast as possible, stamped with the wall clock.
type SourceOptions struct {
	// Period between frames; 0 delivers as fast as the receiver takes them.
	Period time.Duration
	// Loop restarts the frame list at its end instead of returning
	// sensors.ErrNoData.
	Loop bool
	// KeepStamps keeps each frame's own non-zero Stamp instead of stamping
	// it with Now at delivery.
	KeepStamps bool
	// Now is the clock for stamps (default time.Now).
	Now func() time.Time
	// StopAfter makes the source go silent after this many frames, as if
	// its cable were pulled; 0 means never. Replug resumes delivery.
	StopAfter uint64
}

// Source is a fake sensors.Source that replays frames. Each delivered frame
// is a deep copy with Sensor, Seq, Stamp and Received set, so receivers may
// keep or modify it. Unplug, Replug and Fail drive it from a test while Run
// is running; all methods are safe for concurrent use.
type Source struct {
	info   sensors.Info
	frames []sensors.Frame
	opts   SourceOptions

	mu       sync.Mutex
	unplug   bool
	failErr  error
	changed  chan struct{} // closed and replaced when unplug/failErr change
	seq      uint64
	counters sensors.Counters
	running  atomic.Bool
}

// NewSource returns a fake source delivering copies of frames. info.Kind,
// when unknown, is taken from the first frame; every frame must be of that
// kind. Empty Name, Model and Address get fake values so that the source
// passes the conformance suite.
func NewSource(info sensors.Info, frames []sensors.Frame, opts SourceOptions) (*Source, error) {
	if opts.Period < 0 {
		return nil, fmt.Errorf("sensortest: negative period %v", opts.Period)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if info.Kind == sensors.KindUnknown && len(frames) > 0 && frames[0] != nil {
		info.Kind = frames[0].Kind()
	}
	for i, f := range frames {
		if f == nil {
			return nil, fmt.Errorf("sensortest: frame %d is nil", i)
		}
		if f.Kind() != info.Kind {
			return nil, fmt.Errorf("sensortest: frame %d is %v, source is %v", i, f.Kind(), info.Kind)
		}
	}
	if info.Name == "" {
		info.Name = "fake0"
	}
	if info.Model == "" {
		info.Model = "fake"
	}
	if info.Address == "" {
		info.Address = "sensortest"
	}
	if info.Period == 0 {
		info.Period = opts.Period
	}
	return &Source{info: info, frames: frames, opts: opts, changed: make(chan struct{})}, nil
}

// Info implements sensors.Source.
func (s *Source) Info() sensors.Info { return s.info }

// Counters implements sensors.Counted. While unplugged the source counts one
// BusError per period (or per Unplug when Period is 0); each Replug counts
// one Reconnect.
func (s *Source) Counters() sensors.Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters
}

// Running reports whether Run is executing.
func (s *Source) Running() bool { return s.running.Load() }

// Unplug stops delivery until Replug, as a pulled cable would.
func (s *Source) Unplug() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unplug {
		s.unplug = true
		s.counters.BusErrors++
		s.notifyLocked()
	}
}

// Replug resumes delivery after Unplug or StopAfter.
func (s *Source) Replug() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unplug || s.stoppedLocked() {
		s.unplug = false
		s.opts.StopAfter = 0
		s.counters.Reconnect++
		s.notifyLocked()
	}
}

// Fail makes Run return err (wrapped) at its next step, as a source whose
// device failed for good.
func (s *Source) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failErr = err
	s.notifyLocked()
}

func (s *Source) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Source) stoppedLocked() bool {
	return s.opts.StopAfter > 0 && s.counters.Frames >= s.opts.StopAfter
}

// Run implements sensors.Source.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	s.running.Store(true)
	defer s.running.Store(false)
	if len(s.frames) == 0 {
		return fmt.Errorf("sensortest: %s: no frames: %w", s.info.Name, sensors.ErrNoData)
	}
	var tick <-chan time.Time
	if s.opts.Period > 0 {
		t := time.NewTicker(s.opts.Period)
		defer t.Stop()
		tick = t.C
	}
	for i := 0; ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if tick != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick:
			}
		}
		s.mu.Lock()
		if s.failErr != nil {
			err := s.failErr
			s.mu.Unlock()
			return fmt.Errorf("sensortest: %s: %w", s.info.Name, err)
		}
		if s.unplug || s.stoppedLocked() {
			changed := s.changed
			if tick != nil {
				s.counters.BusErrors++
				s.mu.Unlock()
				continue
			}
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-changed:
			}
			continue
		}
		if i == len(s.frames) {
			if !s.opts.Loop {
				s.mu.Unlock()
				return fmt.Errorf("sensortest: %s: replayed %d frames: %w", s.info.Name, i, sensors.ErrNoData)
			}
			i = 0
		}
		f := Clone(s.frames[i])
		i++
		s.seq++
		h := f.Head()
		h.Sensor = s.info.Name
		h.Seq = s.seq
		now := s.opts.Now()
		if !s.opts.KeepStamps || h.Stamp.IsZero() {
			h.Stamp = now
		}
		h.Received = now
		s.counters.Frames++
		s.counters.Bytes += uint64(payloadBytes(f))
		s.mu.Unlock()
		emit(f)
	}
}

// Clone returns a deep copy of f, sharing no slices with it.
func Clone(f sensors.Frame) sensors.Frame {
	switch v := f.(type) {
	case *sensors.Scan:
		c := *v
		c.Points = append([]sensors.Point(nil), v.Points...)
		c.RingElevations = append([]float32(nil), v.RingElevations...)
		return &c
	case *sensors.Image:
		c := *v
		c.Pix = append([]byte(nil), v.Pix...)
		return &c
	case *sensors.Range:
		c := *v
		return &c
	}
	return f
}

// payloadBytes is the size a frame's data would have on the wire, roughly.
func payloadBytes(f sensors.Frame) int {
	switch v := f.(type) {
	case *sensors.Scan:
		return 3 * len(v.Points) // VLP-16 data point: 2 bytes range, 1 intensity
	case *sensors.Image:
		return len(v.Pix)
	case *sensors.Range:
		return 9 // a Benewake frame
	}
	return 0
}

// ErrUnplugged is what tests pass to Fail to simulate a device that is gone
// for good.
var ErrUnplugged = errors.New("sensortest: device unplugged")
