package recorded

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Pacing says how fast a Source replays a directory.
type Pacing uint8

// Pacings.
const (
	// PaceRealTime waits between frames as long as their stamps say (from
	// timestamps.txt, or DirOptions.Rate without one).
	PaceRealTime Pacing = iota
	// PaceRate emits at SourceOptions.Rate regardless of the stamps.
	PaceRate
	// PaceFast emits as fast as the receiver takes frames.
	PaceFast
)

// Repeat says what a Source does at the end of the directory.
type Repeat uint8

// Repeats.
const (
	// Once returns an error wrapping sensors.ErrNoData after the last frame.
	Once Repeat = iota
	// Loop starts over from the first frame until ctx is cancelled.
	Loop
)

// Clock says which stamps emitted frames carry.
type Clock uint8

// Clocks.
const (
	// ClockRecorded keeps the recorded stamps; in Loop mode each pass is
	// shifted by the length of the recording so stamps keep increasing.
	ClockRecorded Clock = iota
	// ClockWall shifts the stamps so that the first frame is stamped with
	// the wall time at which it is emitted, as a live sensor would be.
	ClockWall
)

// SourceOptions configure NewSource. The zero value replays once in real
// time with the recorded stamps.
type SourceOptions struct {
	Pacing Pacing
	Rate   float64 // Hz, for PaceRate (required there)
	Repeat Repeat
	Clock  Clock
}

// Source replays a Dir as a sensors.Source. Unreadable frames are counted
// as Malformed and skipped; a pass in which no frame decodes ends Run.
type Source struct {
	dir    *Dir
	opts   SourceOptions
	period time.Duration // pass-to-pass step and PaceRate interval

	frames, bytes, malformed atomic.Uint64
}

// NewSource returns a source replaying d.
func NewSource(d *Dir, opts SourceOptions) (*Source, error) {
	if d == nil {
		return nil, errors.New("recorded: nil Dir")
	}
	if opts.Pacing > PaceFast || opts.Repeat > Loop || opts.Clock > ClockWall {
		return nil, fmt.Errorf("recorded: bad source options %+v", opts)
	}
	if opts.Pacing == PaceRate && !(opts.Rate > 0 && opts.Rate <= 1e6) {
		return nil, fmt.Errorf("recorded: PaceRate needs a rate in (0, 1e6] Hz, got %g", opts.Rate)
	}
	s := &Source{dir: d, opts: opts}
	switch {
	case opts.Pacing == PaceRate:
		s.period = time.Duration(float64(time.Second) / opts.Rate)
	case d.Len() > 1:
		s.period = d.Stamp(d.Len()-1).Sub(d.Stamp(0)) / time.Duration(d.Len()-1)
	default:
		s.period = time.Duration(float64(time.Second) / d.opts.Rate)
	}
	if s.period <= 0 {
		s.period = time.Duration(float64(time.Second) / d.opts.Rate)
	}
	return s, nil
}

// Info implements sensors.Source.
func (s *Source) Info() sensors.Info {
	model := s.dir.opts.Model
	if model == "" {
		model = s.dir.format.String()
	}
	return sensors.Info{
		Name: s.dir.opts.Sensor, Kind: s.dir.Kind(), Model: model,
		Period: s.period, Address: s.dir.path,
	}
}

// Counters implements sensors.Counted.
func (s *Source) Counters() sensors.Counters {
	return sensors.Counters{Frames: s.frames.Load(), Bytes: s.bytes.Load(), Malformed: s.malformed.Load()}
}

// Run implements sensors.Source.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	d := s.dir
	n := d.Len()
	// passLen shifts each loop pass so recorded stamps keep increasing.
	passLen := d.Stamp(n-1).Sub(d.Stamp(0)) + s.period
	start := time.Now()
	var seq uint64
	var wallShift time.Duration
	for pass := 0; ; pass++ {
		good := 0
		for i := 0; i < n; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			// Offset of this frame from the first one of the replay.
			var at time.Duration
			switch s.opts.Pacing {
			case PaceRealTime:
				at = time.Duration(pass)*passLen + d.Stamp(i).Sub(d.Stamp(0))
			case PaceRate:
				at = time.Duration(pass*n+i) * s.period
			}
			if s.opts.Pacing != PaceFast {
				if err := sleepUntil(ctx, start.Add(at)); err != nil {
					return err
				}
			}
			f, size, err := d.read(i)
			s.bytes.Add(uint64(size))
			if err != nil {
				s.malformed.Add(1)
				continue
			}
			good++
			h := f.Head()
			h.Seq = seq
			seq++
			h.Stamp = h.Stamp.Add(time.Duration(pass) * passLen)
			now := time.Now()
			if s.opts.Clock == ClockWall {
				if seq == 1 {
					wallShift = now.Sub(h.Stamp)
				}
				h.Stamp = h.Stamp.Add(wallShift)
			}
			h.Received = now
			s.frames.Add(1)
			emit(f)
		}
		if good == 0 {
			return fmt.Errorf("recorded: %s: no frame of %d decodes", d.path, n)
		}
		if s.opts.Repeat != Loop {
			return fmt.Errorf("recorded: %s: end of recording: %w", d.path, sensors.ErrNoData)
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// ParsePacing maps the config file's pacing word to SourceOptions:
// "realtime" (or "") replays once in real time, "fast" once as fast as
// possible, "loop" in real time forever, "fast-loop" as fast as possible
// forever. Looping replays are stamped with the wall clock.
func ParsePacing(s string) (SourceOptions, error) {
	switch s {
	case "", "realtime":
		return SourceOptions{Pacing: PaceRealTime}, nil
	case "fast":
		return SourceOptions{Pacing: PaceFast}, nil
	case "loop":
		return SourceOptions{Pacing: PaceRealTime, Repeat: Loop, Clock: ClockWall}, nil
	case "fast-loop":
		return SourceOptions{Pacing: PaceFast, Repeat: Loop, Clock: ClockWall}, nil
	}
	return SourceOptions{}, fmt.Errorf("recorded: pacing %q is not realtime, fast, loop or fast-loop", s)
}
