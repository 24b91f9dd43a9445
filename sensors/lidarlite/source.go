package lidarlite

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/sensors"
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
	open func(context.Context) (i2c.BusCloser, error)
	mu   sync.Mutex
	c    sensors.Counters
	last error
	seq  uint64
}

// NewSource returns a source reading buses from open (see OpenI2C).
func NewSource(open func(context.Context) (i2c.BusCloser, error), opts SourceOptions) (*Source, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if open == nil {
		return nil, errors.New("lidarlite: nil opener")
	}
	return &Source{opts: opts, open: open}, nil
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
		b, err := s.open(ctx)
		if err != nil {
			s.fail(fmt.Errorf("lidarlite: %s: open %s: %w", s.opts.Name, s.opts.Address, err))
		} else {
			if sessions > 0 {
				s.mu.Lock()
				s.c.Reconnect++
				s.mu.Unlock()
			}
			sessions++
			ok := s.session(ctx, b, emit)
			b.Close()
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

// session polls until MaxBusErrors failures in a row or ctx ends; it
// reports whether any frame was delivered.
func (s *Source) session(ctx context.Context, b i2c.Bus, emit func(sensors.Frame)) bool {
	d, err := New(b, &s.opts.Dev)
	if err != nil {
		s.fail(err)
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
			s.fail(err)
			if fails++; fails >= s.opts.MaxBusErrors {
				return delivered
			}
		} else {
			fails = 0
			now := time.Now()
			s.mu.Lock()
			s.seq++
			s.c.Frames++
			s.c.Bytes += 2
			seq := s.seq
			s.mu.Unlock()
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
