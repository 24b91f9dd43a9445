package sim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Generator makes frame i of a simulated sensor: a pure function of i.
// *Lidar and *Camera implement it.
type Generator interface {
	Info() sensors.Info
	Frame(i uint64) sensors.Frame
}

// Pacing says how fast a Source delivers.
type Pacing uint8

// Pacings.
const (
	// AsFastAsPossible delivers frames back to back; stamps still follow
	// simulated time (Start + i·Period) and Received equals Stamp plus the
	// sensor's transfer time, so output is deterministic.
	AsFastAsPossible Pacing = iota
	// RealTime delivers frame i at Start + i·Period on the wall clock and
	// sets Received to the wall clock.
	RealTime
)

// SourceOptions configure NewSource.
type SourceOptions struct {
	Pacing Pacing
	// Start is the stamp of frame 0. Zero: Epoch() when AsFastAsPossible,
	// the wall clock at Run when RealTime.
	Start time.Time
	// Frames stops the source after this many frames with ErrNoData; 0
	// runs until cancelled.
	Frames uint64
	// Now is the wall clock (default time.Now), for tests.
	Now func() time.Time
}

// Source delivers a Generator's frames as a sensors.Source.
type Source struct {
	gen  Generator
	opts SourceOptions

	mu       sync.Mutex
	counters sensors.Counters
}

// NewSource wraps gen. It fails on an unknown pacing.
func NewSource(gen Generator, opts SourceOptions) (*Source, error) {
	if opts.Pacing != AsFastAsPossible && opts.Pacing != RealTime {
		return nil, fmt.Errorf("sim: unknown pacing %d", opts.Pacing)
	}
	if gen.Info().Period <= 0 {
		return nil, fmt.Errorf("sim: generator %q has no period", gen.Info().Name)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Source{gen: gen, opts: opts}, nil
}

// Info implements sensors.Source.
func (s *Source) Info() sensors.Info { return s.gen.Info() }

// Counters implements sensors.Counted.
func (s *Source) Counters() sensors.Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters
}

// Run implements sensors.Source: frame i is generated, stamped Start +
// i·Period, given Seq i+1 and emitted, paced as configured.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	period := s.gen.Info().Period
	start := s.opts.Start
	wallStart := s.opts.Now()
	if start.IsZero() {
		if s.opts.Pacing == RealTime {
			start = wallStart
		} else {
			start = Epoch()
		}
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for i := uint64(0); s.opts.Frames == 0 || i < s.opts.Frames; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		f := s.gen.Frame(i)
		h := f.Head()
		transfer := h.Received.Sub(h.Stamp)
		h.Seq = i + 1
		h.Stamp = start.Add(time.Duration(i) * period)
		h.Received = h.Stamp.Add(transfer)
		if s.opts.Pacing == RealTime {
			due := wallStart.Add(time.Duration(i)*period + transfer)
			if wait := due.Sub(s.opts.Now()); wait > 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-timer.C:
				}
			}
			h.Received = s.opts.Now()
		}
		s.mu.Lock()
		s.counters.Frames++
		s.mu.Unlock()
		emit(f)
	}
	return fmt.Errorf("sim: %s: %d frames delivered: %w", s.gen.Info().Name, s.opts.Frames, sensors.ErrNoData)
}
