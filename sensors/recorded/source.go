package recorded

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
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
// as Malformed and skipped; a pass in which no frame decodes ends Run, and
// the next Run reads the directory again.
type Source struct {
	info  sensors.Info // fixed when the source is built
	opts  SourceOptions
	path  string
	dopts DirOptions
	why   error // why the directory could not be opened when the source was built

	// dir is the directory Run plays; nil until it opens. Only Run uses it
	// (a Source runs one Run at a time).
	dir    *Dir
	reread bool // the last Run failed: read the directory again

	frames, bytes, malformed atomic.Uint64
}

// NewSource returns a source replaying d.
func NewSource(d *Dir, opts SourceOptions) (*Source, error) {
	if d == nil {
		return nil, errors.New("recorded: nil Dir")
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	s := &Source{opts: opts, path: d.path, dopts: d.opts, dir: d}
	model := d.opts.Model
	if model == "" {
		model = d.format.String()
	}
	s.info = sensors.Info{Name: d.opts.Sensor, Kind: d.Kind(), Model: model, Period: s.period(d), Address: d.path}
	return s, nil
}

// NewPendingSource returns a source for a directory that could not be
// opened when the sensor was set up (a drive not mounted yet, a folder
// still being copied, a folder that mixes formats); why says what was
// wrong. Each Run reads the directory again and returns why it still
// cannot play it, so the agent retries and shows the sensor STALE with
// that reason; once the directory opens, and holds frames of kind (any
// kind when kind is sensors.KindUnknown), Run plays it as NewSource's
// would.
func NewPendingSource(path string, dopts DirOptions, kind sensors.Kind, opts SourceOptions, why error) (*Source, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if err := checkModel(dopts.Model); err != nil {
		return nil, err
	}
	if why == nil {
		return nil, errors.New("recorded: a pending source needs the reason it is pending")
	}
	if dopts.Rate == 0 {
		dopts.Rate = DefaultRate
	}
	if dopts.Sensor == "" {
		dopts.Sensor = filepath.Base(filepath.Clean(path))
	}
	model := dopts.Model
	if model == "" {
		model = "recording"
	}
	period := time.Duration(float64(time.Second) / dopts.Rate)
	if opts.Pacing == PaceRate {
		period = time.Duration(float64(time.Second) / opts.Rate)
	}
	return &Source{
		info: sensors.Info{Name: dopts.Sensor, Kind: kind, Model: model, Period: period, Address: path},
		opts: opts, path: path, dopts: dopts, why: why,
	}, nil
}

func (o SourceOptions) check() error {
	if o.Pacing > PaceFast || o.Repeat > Loop || o.Clock > ClockWall {
		return fmt.Errorf("recorded: bad source options %+v", o)
	}
	if o.Pacing == PaceRate && !(o.Rate > 0 && o.Rate <= 1e6) {
		return fmt.Errorf("recorded: PaceRate needs a rate in (0, 1e6] Hz, got %g", o.Rate)
	}
	return nil
}

// period is the pass-to-pass step and PaceRate interval of playing d.
func (s *Source) period(d *Dir) time.Duration {
	var p time.Duration
	switch {
	case s.opts.Pacing == PaceRate:
		p = time.Duration(float64(time.Second) / s.opts.Rate)
	case d.Len() > 1:
		p = d.Stamp(d.Len()-1).Sub(d.Stamp(0)) / time.Duration(d.Len()-1)
	}
	if p <= 0 {
		p = time.Duration(float64(time.Second) / d.opts.Rate)
	}
	return p
}

// Info implements sensors.Source.
func (s *Source) Info() sensors.Info { return s.info }

// Unavailable implements sensors.Unavailable: why the directory could not
// be played when the source was built, nil when it could.
func (s *Source) Unavailable() error { return s.why }

// Counters implements sensors.Counted.
func (s *Source) Counters() sensors.Counters {
	return sensors.Counters{Frames: s.frames.Load(), Bytes: s.bytes.Load(), Malformed: s.malformed.Load()}
}

// Run implements sensors.Source.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	if s.dir == nil || s.reread {
		d, err := s.open()
		if err != nil {
			return err
		}
		s.dir, s.reread = d, false
	}
	err := s.play(ctx, s.dir, emit)
	if ctx.Err() == nil && !errors.Is(err, sensors.ErrNoData) {
		s.reread = true
	}
	return err
}

// open reads the directory again and checks that it holds this sensor's
// kind of frames.
func (s *Source) open() (*Dir, error) {
	d, err := OpenDir(s.path, s.dopts)
	switch {
	case errors.Is(err, sensors.ErrNoData):
		// Not the end of a recording: the folder may still be filled.
		return nil, fmt.Errorf("recorded: %s holds no frames yet", s.path)
	case err != nil:
		return nil, err
	case s.info.Kind != sensors.KindUnknown && d.Kind() != s.info.Kind:
		return nil, fmt.Errorf("recorded: %s holds %s frames, but sensor %s delivers %s", s.path, d.Kind(), s.info.Name, s.info.Kind)
	}
	return d, nil
}

func (s *Source) play(ctx context.Context, d *Dir, emit func(sensors.Frame)) error {
	n := d.Len()
	period := s.period(d)
	// passLen shifts each loop pass so recorded stamps keep increasing.
	passLen := d.Stamp(n-1).Sub(d.Stamp(0)) + period
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
				at = time.Duration(pass*n+i) * period
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
