package arducam

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/reconnect"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"
)

// SourceOptions configure a Source.
type SourceOptions struct {
	Name    string // configured sensor name (required)
	Address string // for Info, e.g. "/dev/spidev0.0+/dev/i2c-1" (required)
	Dev     Opts
	Period  time.Duration // time between captures (default 200 ms)
	// MinBackoff and MaxBackoff bound the wait before reopening the buses
	// (defaults 200 ms and 5 s). MaxBadFrames bad frames in a row (no
	// JPEG, bad length, undecodable) also end the session (default 5).
	MinBackoff, MaxBackoff time.Duration
	MaxBadFrames           int
}

func (o *SourceOptions) validate() error {
	if o.Name == "" || o.Address == "" {
		return errors.New("arducam: source needs a name and an address")
	}
	if err := o.Dev.validate(); err != nil {
		return err
	}
	if o.Period == 0 {
		o.Period = 200 * time.Millisecond
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.MaxBadFrames == 0 {
		o.MaxBadFrames = 5
	}
	if o.Period < 0 || o.MinBackoff < 0 || o.MaxBackoff < o.MinBackoff || o.MaxBadFrames < 0 {
		return fmt.Errorf("arducam: invalid timing options %+v", *o)
	}
	return nil
}

// Buses is what an opener returns: the SPI port to the ArduChip and the
// I²C bus to the OV2640.
type Buses struct {
	SPI spi.PortCloser
	I2C i2c.BusCloser
}

// Close closes both.
func (b Buses) Close() error {
	return errors.Join(b.SPI.Close(), b.I2C.Close())
}

// Source captures frames every Period and delivers them as gray images.
// Bus failures, a capture that never completes and repeated bad frames end
// the session; the buses are reopened with exponential backoff. Run
// returns only when ctx ends.
type Source struct {
	opts SourceOptions
	loop reconnect.Loop[Buses]
	h    reconnect.Health
}

// NewSource returns a source opening buses with open (see OpenBuses).
func NewSource(open func(context.Context) (Buses, error), opts SourceOptions) (*Source, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if open == nil {
		return nil, errors.New("arducam: nil opener")
	}
	return &Source{opts: opts, loop: reconnect.Loop[Buses]{
		MinBackoff: opts.MinBackoff, MaxBackoff: opts.MaxBackoff, Open: open,
		OpenFailed: fmt.Sprintf("arducam: %s: open %s", opts.Name, opts.Address),
	}}, nil
}

// OpenBuses returns an opener of the named SPI port (e.g. "SPI0.0" or
// "/dev/spidev0.0") and I²C bus (e.g. "1") from periph's registries.
func OpenBuses(spiName, i2cName string) func(context.Context) (Buses, error) {
	return func(context.Context) (Buses, error) {
		if _, err := host.Init(); err != nil {
			return Buses{}, fmt.Errorf("periph host init: %w", err)
		}
		p, err := spireg.Open(spiName)
		if err != nil {
			return Buses{}, err
		}
		b, err := i2creg.Open(i2cName)
		if err != nil {
			p.Close()
			return Buses{}, err
		}
		return Buses{SPI: p, I2C: b}, nil
	}
}

// Info implements sensors.Source.
func (s *Source) Info() sensors.Info {
	return sensors.Info{Name: s.opts.Name, Kind: sensors.KindCamera, Model: "ArduCAM Mini 2MP (OV2640)", Period: s.opts.Period, Address: s.opts.Address}
}

// Counters implements sensors.Counted.
func (s *Source) Counters() sensors.Counters { return s.h.Counters() }

// LastError is the most recent failure, or nil.
func (s *Source) LastError() error { return s.h.LastError() }

// Run implements sensors.Source.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	return s.loop.Run(ctx, &s.h, func(ctx context.Context, b Buses) bool { return s.session(ctx, b, emit) })
}

func badFrame(err error) bool {
	return errors.Is(err, ErrNoJPEG) || errors.Is(err, ErrFIFOLength)
}

// session captures until the buses fail, MaxBadFrames bad frames come in
// a row or ctx ends, then closes the buses; it reports whether any frame
// was delivered.
func (s *Source) session(ctx context.Context, b Buses, emit func(sensors.Frame)) bool {
	defer b.Close()
	d, err := New(b.SPI, b.I2C, &s.opts.Dev)
	if err == nil {
		err = d.Init(ctx)
	}
	if err != nil {
		if ctx.Err() == nil {
			s.h.Fail(fmt.Errorf("arducam: %s: %w", s.opts.Name, err))
		}
		return false
	}
	tick := time.NewTicker(s.opts.Period)
	defer tick.Stop()
	delivered, bad := false, 0
	for {
		j, err := d.Capture(ctx)
		if ctx.Err() != nil {
			return delivered
		}
		stamp := time.Now()
		var pix []byte
		var w, h int
		if err == nil {
			pix, w, h, err = DecodeGray(j)
			if err != nil {
				err = fmt.Errorf("%w: %w", ErrNoJPEG, err)
			}
		}
		switch {
		case err == nil:
			bad = 0
			seq := s.h.Delivered(uint64(len(j)))
			emit(&sensors.Image{
				Header: sensors.Header{Sensor: s.opts.Name, Seq: seq, Stamp: stamp, Received: time.Now()},
				Width:  w, Height: h, Stride: w, Format: sensors.Gray8, Pix: pix,
			})
			delivered = true
		case badFrame(err):
			s.h.Malformed(fmt.Errorf("arducam: %s: %w", s.opts.Name, err))
			if bad++; bad >= s.opts.MaxBadFrames {
				return delivered
			}
		default:
			s.h.Fail(fmt.Errorf("arducam: %s: %w", s.opts.Name, err))
			return delivered
		}
		select {
		case <-ctx.Done():
			return delivered
		case <-tick.C:
		}
	}
}
