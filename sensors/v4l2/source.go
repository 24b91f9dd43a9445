package v4l2

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/reconnect"
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
	loop reconnect.Loop[Device]
	h    reconnect.Health
}

// NewSource returns a source opening devices with open (see Opener).
func NewSource(open func(context.Context) (Device, error), opts SourceOptions) (*Source, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if open == nil {
		return nil, errors.New("v4l2: nil opener")
	}
	return &Source{opts: opts, loop: reconnect.Loop[Device]{
		MinBackoff: opts.MinBackoff, MaxBackoff: opts.MaxBackoff, Open: open,
		OpenFailed: fmt.Sprintf("v4l2: %s: open %s", opts.Name, opts.Address),
	}}, nil
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
func (s *Source) Counters() sensors.Counters { return s.h.Counters() }

// LastError is the most recent failure, or nil.
func (s *Source) LastError() error { return s.h.LastError() }

// Run implements sensors.Source.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	return s.loop.Run(ctx, &s.h, func(ctx context.Context, dev Device) bool { return s.session(ctx, dev, emit) })
}

// session streams until the device fails or ctx ends, then closes it; it
// reports whether any frame was delivered.
func (s *Source) session(ctx context.Context, dev Device, emit func(sensors.Frame)) bool {
	defer dev.Close()
	cam, err := Start(dev, &s.opts.Camera)
	if err != nil {
		s.h.Fail(fmt.Errorf("v4l2: %s: %w", s.opts.Name, err))
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
			s.h.Malformed(err)
			continue
		}
		if err != nil {
			s.h.Fail(fmt.Errorf("v4l2: %s: %w", s.opts.Name, err))
			return delivered
		}
		im.Seq = s.h.Delivered(uint64(len(im.Pix)))
		im.Sensor = s.opts.Name
		emit(im)
		delivered = true
	}
}
