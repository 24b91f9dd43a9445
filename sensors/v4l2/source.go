package v4l2

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// SourceOptions configure a Source.
type SourceOptions struct {
	Name    string // configured sensor name (required)
	Address string // device node for Info, e.g. /dev/video0 (required)
	Camera  Opts
	Period  time.Duration // nominal frame period for Info (default 33 ms)
	// MinBackoff and MaxBackoff bound the wait before reopening a lost
	// camera; it doubles per failure (defaults 200 ms and 5 s).
	MinBackoff, MaxBackoff time.Duration
}

func (o *SourceOptions) validate() error {
	if o.Name == "" || o.Address == "" {
		return errors.New("v4l2: source needs a name and an address")
	}
	if err := o.Camera.validate(); err != nil {
		return err
	}
	if o.Period == 0 {
		o.Period = 33 * time.Millisecond
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.Period < 0 || o.MinBackoff < 0 || o.MaxBackoff < o.MinBackoff {
		return fmt.Errorf("v4l2: invalid timing options %+v", *o)
	}
	return nil
}

// Source is a sensors.Source for a V4L2 camera. It opens the device,
// negotiates, streams gray frames and, when the device fails (unplugged,
// timeout), closes it and reopens with exponential backoff. Unconvertible
// frames are counted as Malformed and skipped. Run returns only when ctx
// ends.
type Source struct {
	opts SourceOptions
	open func(context.Context) (Device, error)
	mu   sync.Mutex
	c    sensors.Counters
	last error
	seq  uint64
}

// NewSource returns a source opening devices with open (see Opener).
func NewSource(open func(context.Context) (Device, error), opts SourceOptions) (*Source, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if open == nil {
		return nil, errors.New("v4l2: nil opener")
	}
	return &Source{opts: opts, open: open}, nil
}

// Opener returns an opener of the V4L2 device node at path.
func Opener(path string) func(context.Context) (Device, error) {
	return func(context.Context) (Device, error) { return OpenWebcam(path) }
}

// Info implements sensors.Source.
func (s *Source) Info() sensors.Info {
	return sensors.Info{Name: s.opts.Name, Kind: sensors.KindCamera, Model: "V4L2 camera", Period: s.opts.Period, Address: s.opts.Address}
}

// Counters implements sensors.Counted.
func (s *Source) Counters() sensors.Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// LastError is the most recent failure, or nil.
func (s *Source) LastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *Source) fail(err error) {
	s.mu.Lock()
	s.c.BusErrors++
	s.last = err
	s.mu.Unlock()
}

// Run implements sensors.Source.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	backoff := s.opts.MinBackoff
	sessions := 0
	for ctx.Err() == nil {
		dev, err := s.open(ctx)
		if err != nil {
			s.fail(fmt.Errorf("v4l2: %s: open %s: %w", s.opts.Name, s.opts.Address, err))
		} else {
			if sessions > 0 {
				s.mu.Lock()
				s.c.Reconnect++
				s.mu.Unlock()
			}
			sessions++
			ok := s.session(ctx, dev, emit)
			dev.Close()
			if ok {
				backoff = s.opts.MinBackoff
			}
		}
		if !sleep(ctx, backoff) {
			break
		}
		backoff = min(2*backoff, s.opts.MaxBackoff)
	}
	return nil
}

func (s *Source) session(ctx context.Context, dev Device, emit func(sensors.Frame)) bool {
	cam, err := Start(dev, &s.opts.Camera)
	if err != nil {
		s.fail(fmt.Errorf("v4l2: %s: %w", s.opts.Name, err))
		return false
	}
	delivered := false
	for {
		im, err := cam.Next(ctx)
		if ctx.Err() != nil {
			return delivered
		}
		var fe *FrameError
		if errors.As(err, &fe) {
			s.mu.Lock()
			s.c.Malformed++
			s.last = err
			s.mu.Unlock()
			continue
		}
		if err != nil {
			s.fail(fmt.Errorf("v4l2: %s: %w", s.opts.Name, err))
			return delivered
		}
		s.mu.Lock()
		s.seq++
		s.c.Frames++
		s.c.Bytes += uint64(len(im.Pix))
		im.Seq = s.seq
		s.mu.Unlock()
		im.Sensor = s.opts.Name
		emit(im)
		delivered = true
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
