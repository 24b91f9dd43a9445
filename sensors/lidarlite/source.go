package lidarlite

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/reconnect"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"
)

// SourceOptions configure a Source.
type SourceOptions struct {
	Name    string // configured sensor name (required)
	Address string // for Info, e.g. "/dev/i2c-1@0x62" (required)
	Dev     Opts
	Period  time.Duration // polling period (default 20 ms, 50 Hz)
	// MinBackoff and MaxBackoff bound the wait before reopening the bus
	// (defaults 100 ms and 5 s); MaxBusErrors consecutive failed
	// measurements mean the device is gone (default 5).
	MinBackoff, MaxBackoff time.Duration
	MaxBusErrors           int
}

func (o *SourceOptions) validate() error {
	if o.Name == "" || o.Address == "" {
		return errors.New("lidarlite: source needs a name and an address")
	}
	if o.Period == 0 {
		o.Period = 20 * time.Millisecond
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.MaxBusErrors == 0 {
		o.MaxBusErrors = 5
	}
	if o.Period < 0 || o.MinBackoff < 0 || o.MaxBackoff < o.MinBackoff || o.MaxBusErrors < 0 {
		return fmt.Errorf("lidarlite: invalid timing options %+v", *o)
	}
	return o.Dev.validate()
}

// Source polls a LIDAR-Lite v3 every Period and reopens the bus with
// exponential backoff after MaxBusErrors failures in a row. Run returns
// only when ctx ends.
type Source struct {
	opts SourceOptions
	loop reconnect.Loop[i2c.BusCloser]
	h    reconnect.Health
}

// NewSource returns a source reading buses from open (see OpenI2C).
func NewSource(open func(context.Context) (i2c.BusCloser, error), opts SourceOptions) (*Source, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if open == nil {
		return nil, errors.New("lidarlite: nil opener")
	}
	return &Source{opts: opts, loop: reconnect.Loop[i2c.BusCloser]{
		MinBackoff: opts.MinBackoff, MaxBackoff: opts.MaxBackoff, Open: open,
		OpenFailed: fmt.Sprintf("lidarlite: %s: open %s", opts.Name, opts.Address),
	}}, nil
}

// OpenI2C returns an opener for the bus named bus in periph's registry
// ("1" or "/dev/i2c-1"; "" for the first bus).
func OpenI2C(bus string) func(context.Context) (i2c.BusCloser, error) {
	return func(context.Context) (i2c.BusCloser, error) {
		if _, err := host.Init(); err != nil {
			return nil, fmt.Errorf("periph host init: %w", err)
		}
		return i2creg.Open(bus)
	}
}

// Info implements sensors.Source.
func (s *Source) Info() sensors.Info {
	return sensors.Info{Name: s.opts.Name, Kind: sensors.KindRange, Model: "LIDAR-Lite v3", Period: s.opts.Period, Address: s.opts.Address}
}

// Counters implements sensors.Counted.
func (s *Source) Counters() sensors.Counters { return s.h.Counters() }

// LastError is the most recent failure, or nil.
func (s *Source) LastError() error { return s.h.LastError() }

// Run implements sensors.Source.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	return s.loop.Run(ctx, &s.h, func(ctx context.Context, b i2c.BusCloser) bool { return s.session(ctx, b, emit) })
}

// session polls until MaxBusErrors failures in a row or ctx ends, then
// closes the bus; it reports whether any frame was delivered.
func (s *Source) session(ctx context.Context, b i2c.BusCloser, emit func(sensors.Frame)) bool {
	defer b.Close()
	d, err := New(b, &s.opts.Dev)
	if err != nil {
		s.h.Fail(err)
		return false
	}
	tick := time.NewTicker(s.opts.Period)
	defer tick.Stop()
	delivered, fails := false, 0
	for {
		m, err := d.Measure(ctx)
		if ctx.Err() != nil {
			return delivered
		}
		if err != nil {
			s.h.Fail(err)
			if fails++; fails >= s.opts.MaxBusErrors {
				return delivered
			}
		} else {
			fails = 0
			now := time.Now()
			seq := s.h.Delivered(2)
			strength := float32(0)
			if m.Valid() {
				strength = 1
			}
			emit(&sensors.Range{
				Header:   sensors.Header{Sensor: s.opts.Name, Seq: seq, Stamp: now, Received: now},
				Distance: m.Metres(),
				Strength: strength,
				TempC:    float32(math.NaN()), // not reported
			})
			delivered = true
		}
		select {
		case <-ctx.Done():
			return delivered
		case <-tick.C:
		}
	}
}
