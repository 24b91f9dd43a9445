package rplidar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/reconnect"
	"go.bug.st/serial"
)

// SourceOptions configure a Source.
type SourceOptions struct {
	Name    string // configured sensor name (required)
	Address string // serial device for Info, e.g. /dev/ttyUSB0 (required)
	Dev     Opts
	// Period is the nominal revolution time for Info (default 182 ms, the
	// A1's 5.5 Hz, with MotorDTR; 100 ms, the A2's 10 Hz, with MotorPWM).
	Period time.Duration
	// MinBackoff and MaxBackoff bound the wait before reopening a lost
	// device; it doubles per failure (defaults 100 ms and 5 s).
	MinBackoff, MaxBackoff time.Duration
	// ResetWait is how long to wait after RESET when the device reports a
	// health error (default 1 s).
	ResetWait time.Duration
}

func (o *SourceOptions) validate() error {
	if o.Name == "" || o.Address == "" {
		return errors.New("rplidar: source needs a name and an address")
	}
	if err := o.Dev.validate(); err != nil {
		return err
	}
	if o.Period == 0 {
		o.Period = 182 * time.Millisecond
		if o.Dev.Motor == MotorPWM {
			o.Period = 100 * time.Millisecond
		}
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.ResetWait == 0 {
		o.ResetWait = time.Second
	}
	if o.Period < 0 || o.MinBackoff < 0 || o.MaxBackoff < o.MinBackoff || o.ResetWait < 0 {
		return fmt.Errorf("rplidar: invalid timing options %+v", *o)
	}
	return nil
}

// Source is a sensors.Source for an RPLIDAR. Per session it stops any
// running scan, checks health (resetting the core on a health error),
// reads the device info, starts the motor and scans, emitting one
// sensors.Scan per revolution. A lost device (read error, timeout,
// garbage instead of a descriptor) is closed and reopened with exponential
// backoff; Run returns only when ctx ends.
type Source struct {
	opts  SourceOptions
	loop  reconnect.Loop[io.ReadWriteCloser]
	h     reconnect.Health
	mu    sync.Mutex // guards info and known
	info  DeviceInfo
	known bool
}

// NewSource returns a source reading streams from open (see OpenSerial).
func NewSource(open func(context.Context) (io.ReadWriteCloser, error), opts SourceOptions) (*Source, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if open == nil {
		return nil, errors.New("rplidar: nil opener")
	}
	return &Source{opts: opts, loop: reconnect.Loop[io.ReadWriteCloser]{
		MinBackoff: opts.MinBackoff, MaxBackoff: opts.MaxBackoff, Open: open,
		OpenFailed: fmt.Sprintf("rplidar: %s: open %s", opts.Name, opts.Address),
	}}, nil
}

// OpenSerial returns an opener for the serial port at path (baud 115200
// when 0) with a 100 ms read timeout.
func OpenSerial(path string, baud int) func(context.Context) (io.ReadWriteCloser, error) {
	if baud == 0 {
		baud = 115200
	}
	return func(context.Context) (io.ReadWriteCloser, error) {
		p, err := serial.Open(path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
		if err != nil {
			return nil, err
		}
		if err := p.SetReadTimeout(100 * time.Millisecond); err != nil {
			p.Close()
			return nil, err
		}
		return p, nil
	}
}

// Info implements sensors.Source.
func (s *Source) Info() sensors.Info {
	model := "RPLIDAR A1"
	if s.opts.Dev.Motor == MotorPWM {
		model = "RPLIDAR A2"
	}
	s.mu.Lock()
	if s.known {
		model = s.info.ModelName()
	}
	s.mu.Unlock()
	return sensors.Info{Name: s.opts.Name, Kind: sensors.KindLidar, Model: model, Period: s.opts.Period, Address: s.opts.Address}
}

// DeviceInfo is the GET_INFO answer of the last session, if any.
func (s *Source) DeviceInfo() (DeviceInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info, s.known
}

// Counters implements sensors.Counted.
func (s *Source) Counters() sensors.Counters { return s.h.Counters() }

// LastError is the most recent failure, or nil.
func (s *Source) LastError() error { return s.h.LastError() }

// Run implements sensors.Source.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	return s.loop.Run(ctx, &s.h, func(ctx context.Context, rw io.ReadWriteCloser) bool { return s.session(ctx, rw, emit) })
}

// session runs one open stream; it reports whether a scan was delivered.
func (s *Source) session(ctx context.Context, rw io.ReadWriteCloser, emit func(sensors.Frame)) (delivered bool) {
	var once sync.Once
	closeRW := func() { once.Do(func() { rw.Close() }) }
	stop := context.AfterFunc(ctx, closeRW)
	d, err := New(rw, &s.opts.Dev)
	if err != nil {
		s.h.Fail(err)
		stop()
		closeRW()
		return false
	}
	var synced DecoderStats
	var syncedBytes, syncedSkipped uint64
	syncStats := func() {
		st := d.Stats()
		s.h.Update(func(c *sensors.Counters) {
			c.Malformed += st.Malformed - synced.Malformed
			c.Resyncs += st.Resyncs - synced.Resyncs + boolToU64(d.Skipped() > syncedSkipped)
			c.Bytes += d.Bytes() - syncedBytes
		})
		synced, syncedBytes, syncedSkipped = st, d.Bytes(), d.Skipped()
	}
	defer func() {
		if stop() {
			// Still open: leave the device quiet for the next user.
			d.send(CmdStop, nil)
			d.StopMotor()
		}
		closeRW()
		syncStats()
	}()
	failed := func(what string, err error) bool {
		if ctx.Err() == nil {
			s.h.Fail(fmt.Errorf("rplidar: %s: %s: %w", s.opts.Name, what, err))
		}
		return delivered
	}

	if err := d.Stop(ctx); err != nil {
		return failed("stop", err)
	}
	h, err := d.Health(ctx)
	if err != nil {
		return failed("health", err)
	}
	if h.Status == HealthBad {
		if err := d.Reset(ctx, s.opts.ResetWait); err != nil {
			return failed("reset", err)
		}
		return failed("health", &HealthError{Health: h})
	}
	info, err := d.Info(ctx)
	if err != nil {
		return failed("info", err)
	}
	s.mu.Lock()
	s.info, s.known = info, true
	s.mu.Unlock()
	if err := d.StartMotor(); err != nil {
		return failed("motor", err)
	}
	if err := d.StartScan(ctx); err != nil {
		return failed("scan", err)
	}
	var asm Assembler
	for {
		smp, t, err := d.ReadSample(ctx)
		if err != nil {
			syncStats()
			return failed("read", err)
		}
		dropped := asm.Dropped
		rev, ok := asm.Add(smp, t)
		if asm.Dropped != dropped {
			s.h.Update(func(c *sensors.Counters) { c.Drops += asm.Dropped - dropped })
		}
		if !ok {
			continue
		}
		syncStats()
		seq := s.h.Delivered(0)
		emit(&sensors.Scan{
			Header:         sensors.Header{Sensor: s.opts.Name, Seq: seq, Stamp: rev.First, Received: rev.Last},
			Rings:          1,
			RingElevations: []float32{0},
			Points:         rev.Points,
		})
		delivered = true
	}
}

func boolToU64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
