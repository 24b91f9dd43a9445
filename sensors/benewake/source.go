package benewake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/reconnect"
	"periph.io/x/conn/v3/i2c"
)

// SourceOptions configure a Source.
type SourceOptions struct {
	Name    string // configured sensor name (required)
	Address string // where it is read from, for Info, e.g. "/dev/ttyUSB0" or "/dev/i2c-1@0x10" (required)
	Model   Model  // default TFLuna
	// Period is the I²C polling period and, for UART, the nominal frame
	// period reported in Info (default 10 ms, the devices' 100 Hz).
	Period time.Duration
	// MinBackoff and MaxBackoff bound the wait before reopening a lost
	// device; it doubles per failure (defaults 100 ms and 5 s).
	MinBackoff, MaxBackoff time.Duration
	// MaxBusErrors is how many consecutive I²C errors mean the device is
	// gone and the bus must be reopened (default 5).
	MaxBusErrors int
	// Timeout without a frame on UART (default 1 s).
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *SourceOptions) validate() error {
	if o.Name == "" {
		return errors.New("benewake: source needs a name")
	}
	if o.Address == "" {
		return errors.New("benewake: source needs an address")
	}
	if o.Model == 0 {
		o.Model = TFLuna
	}
	if o.Model != TFLuna && o.Model != TFminiS {
		return fmt.Errorf("benewake: unsupported model %v", o.Model)
	}
	if o.Period == 0 {
		o.Period = 10 * time.Millisecond
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
	if o.Timeout == 0 {
		o.Timeout = time.Second
	}
	if o.Period < 0 || o.MinBackoff < 0 || o.MaxBackoff < o.MinBackoff || o.MaxBusErrors < 0 || o.Timeout < 0 {
		return fmt.Errorf("benewake: invalid timing options %+v", *o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Source is a sensors.Source for a Benewake device on UART or I²C. It
// reopens the device with exponential backoff whenever it is lost (read
// errors, a timeout, repeated NACKs) and returns only when ctx ends.
type Source struct {
	opts SourceOptions
	kind string
	loop reconnect.Loop[reading]
	h    reconnect.Health
	// Decoder counts and bytes of the open session already added to h;
	// used only by Run's goroutine.
	dec   DecoderStats
	bytes uint64
}

// reading is one open session with the device.
type reading interface {
	next(ctx context.Context) (Measurement, time.Time, error)
	stats() (DecoderStats, uint64)
	close() error
}

// NewUARTSource reads frames from byte streams returned by open, which is
// called again after each failure (see OpenSerial).
func NewUARTSource(open func(ctx context.Context) (io.ReadCloser, error), opts SourceOptions) (*Source, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if open == nil {
		return nil, errors.New("benewake: nil opener")
	}
	s := &Source{opts: opts, kind: "uart"}
	s.loop = newLoop(opts, func(ctx context.Context) (reading, error) {
		rc, err := open(ctx)
		if err != nil {
			return nil, err
		}
		u, err := NewUART(rc, &UARTOpts{Model: opts.Model, Timeout: opts.Timeout, Now: opts.Now})
		if err != nil {
			rc.Close()
			return nil, err
		}
		return &uartSession{u: u, rc: rc}, nil
	})
	return s, nil
}

// NewI2CSource polls a TF-Luna every Period on buses returned by open
// (see OpenI2C).
func NewI2CSource(open func(ctx context.Context) (i2c.BusCloser, error), dev I2COpts, opts SourceOptions) (*Source, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Model != TFLuna {
		return nil, fmt.Errorf("benewake: %v has no I²C register map here", opts.Model)
	}
	if open == nil {
		return nil, errors.New("benewake: nil opener")
	}
	if _, err := NewI2C(nil, &dev); err != nil {
		return nil, err
	}
	s := &Source{opts: opts, kind: "i2c"}
	s.loop = newLoop(opts, func(ctx context.Context) (reading, error) {
		b, err := open(ctx)
		if err != nil {
			return nil, err
		}
		d, err := NewI2C(b, &dev)
		if err != nil {
			b.Close()
			return nil, err
		}
		return &i2cSession{d: d, b: b, period: opts.Period, maxErr: opts.MaxBusErrors, src: s}, nil
	})
	return s, nil
}

// newLoop reopens sessions with open, backing off as opts say.
func newLoop(opts SourceOptions, open func(context.Context) (reading, error)) reconnect.Loop[reading] {
	return reconnect.Loop[reading]{
		MinBackoff: opts.MinBackoff, MaxBackoff: opts.MaxBackoff, Open: open,
		OpenFailed: fmt.Sprintf("benewake: %s: open %s", opts.Name, opts.Address),
	}
}

// Info implements sensors.Source.
func (s *Source) Info() sensors.Info {
	return sensors.Info{Name: s.opts.Name, Kind: sensors.KindRange, Model: s.opts.Model.String(), Period: s.opts.Period, Address: s.opts.Address}
}

// Counters implements sensors.Counted.
func (s *Source) Counters() sensors.Counters { return s.h.Counters() }

// LastError is the most recent failure (open, read, timeout), or nil.
func (s *Source) LastError() error { return s.h.LastError() }

// sync adds the session's new decoder counts to the source's counters.
func (s *Source) syncStats(r reading) {
	st, by := r.stats()
	s.h.Update(func(c *sensors.Counters) {
		c.Malformed += st.Malformed - s.dec.Malformed
		c.Resyncs += st.Resyncs - s.dec.Resyncs
		c.Bytes += by - s.bytes
	})
	s.dec, s.bytes = st, by
}

// Run implements sensors.Source.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	return s.loop.Run(ctx, &s.h, func(ctx context.Context, r reading) bool { return s.session(ctx, r, emit) })
}

// session reads until the device fails or ctx ends; it reports whether any
// frame was delivered.
func (s *Source) session(ctx context.Context, r reading, emit func(sensors.Frame)) bool {
	var once sync.Once
	closeR := func() { once.Do(func() { r.close() }) }
	// Closing unblocks a read stuck in the driver when ctx ends.
	stop := context.AfterFunc(ctx, closeR)
	defer func() {
		stop()
		closeR()
	}()
	s.dec, s.bytes = DecoderStats{}, 0
	delivered := false
	for {
		m, stamp, err := r.next(ctx)
		s.syncStats(r)
		if ctx.Err() != nil {
			return delivered
		}
		if err != nil {
			s.h.Fail(fmt.Errorf("benewake: %s: %w", s.opts.Name, err))
			return delivered
		}
		seq := s.h.Delivered(0)
		emit(&sensors.Range{
			Header:   sensors.Header{Sensor: s.opts.Name, Seq: seq, Stamp: stamp, Received: stamp},
			Distance: m.Metres(),
			Strength: m.NormStrength(),
			TempC:    m.TempC,
		})
		delivered = true
	}
}

type uartSession struct {
	u  *UART
	rc io.ReadCloser
}

func (u *uartSession) next(ctx context.Context) (Measurement, time.Time, error) {
	return u.u.Read(ctx)
}
func (u *uartSession) stats() (DecoderStats, uint64) { return u.u.Stats(), u.u.Bytes() }
func (u *uartSession) close() error                  { return u.rc.Close() }

type i2cSession struct {
	d       *I2C
	b       i2c.BusCloser
	period  time.Duration
	maxErr  int
	src     *Source
	nextAt  time.Time
	reads   uint64
	started bool
}

// next waits for the next poll time and reads; single bus errors are
// counted and retried, MaxBusErrors in a row end the session.
func (s *i2cSession) next(ctx context.Context) (Measurement, time.Time, error) {
	fails := 0
	for {
		now := s.src.opts.Now()
		if !s.started {
			s.started, s.nextAt = true, now
		}
		if wait := s.nextAt.Sub(now); wait > 0 && !reconnect.Sleep(ctx, wait) {
			return Measurement{}, time.Time{}, ctx.Err()
		}
		s.nextAt = s.nextAt.Add(s.period)
		if now := s.src.opts.Now(); s.nextAt.Before(now) {
			s.nextAt = now // fell behind: do not burst
		}
		m, err := s.d.Read(ctx)
		if err == nil {
			s.reads += 6
			return m, s.src.opts.Now(), nil
		}
		if ctx.Err() != nil {
			return Measurement{}, time.Time{}, ctx.Err()
		}
		fails++
		if fails >= s.maxErr {
			return Measurement{}, time.Time{}, fmt.Errorf("%d bus errors in a row, last: %w", fails, err)
		}
		s.src.h.Fail(err)
	}
}
func (s *i2cSession) stats() (DecoderStats, uint64) { return DecoderStats{}, s.reads }
func (s *i2cSession) close() error                  { return s.b.Close() }
