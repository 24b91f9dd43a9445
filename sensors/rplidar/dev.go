package rplidar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sensortrust/trustagent/sensors/reconnect"
)

// Motor says how the motor is driven.
type Motor uint8

// Motor control modes.
const (
	MotorDTR  Motor = iota + 1 // A1: DTR line of the USB adapter (default)
	MotorPWM                   // A2: DTR plus SET_MOTOR_PWM
	MotorNone                  // motor driven elsewhere
)

// ParseMotor accepts "dtr", "pwm", "none".
func ParseMotor(s string) (Motor, error) {
	switch s {
	case "dtr", "":
		return MotorDTR, nil
	case "pwm":
		return MotorPWM, nil
	case "none":
		return MotorNone, nil
	}
	return 0, fmt.Errorf("rplidar: unknown motor control %q", s)
}

// DTRSetter is the optional modem-line capability of the byte stream
// (go.bug.st/serial ports have it).
type DTRSetter interface {
	SetDTR(dtr bool) error
}

// InputFlusher is the optional capability to drop unread input.
type InputFlusher interface {
	ResetInputBuffer() error
}

// ErrTimeout is returned when the device does not answer in time.
var ErrTimeout = errors.New("rplidar: timeout")

// Opts configure a Dev.
type Opts struct {
	Motor Motor  // default MotorDTR
	PWM   uint16 // duty for MotorPWM (default 660)
	// Timeout for answers and between scan samples (default 1 s; an A1
	// sends about 2000 samples/s).
	Timeout time.Duration
	// Now is the clock for receive stamps (default time.Now).
	Now func() time.Time
}

// DefaultOpts are the defaults.
var DefaultOpts = Opts{Motor: MotorDTR, PWM: DefaultPWM, Timeout: time.Second}

func (o *Opts) validate() error {
	if o.Motor == 0 {
		o.Motor = MotorDTR
	}
	if o.PWM == 0 {
		o.PWM = DefaultPWM
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultOpts.Timeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Motor > MotorNone {
		return fmt.Errorf("rplidar: unknown motor mode %d", o.Motor)
	}
	if o.PWM > MaxPWM {
		return fmt.Errorf("rplidar: PWM %d above %d", o.PWM, MaxPWM)
	}
	if o.Timeout < 0 {
		return fmt.Errorf("rplidar: negative timeout %v", o.Timeout)
	}
	return nil
}

// Dev is an RPLIDAR on a byte stream. Its methods are not safe for
// concurrent use.
type Dev struct {
	rw      io.ReadWriter
	opts    Opts
	buf     []byte // unread input
	chunk   [256]byte
	dec     SampleDecoder
	queue   []stamped
	bytes   uint64
	skipped uint64 // bytes skipped hunting for descriptors
}

type stamped struct {
	s Sample
	t time.Time
}

// New returns a Dev talking over rw. rw should return (0, nil) or an
// error on its own read timeout (serial ports with SetReadTimeout do) so
// that calls can honour ctx. New does no I/O.
func New(rw io.ReadWriter, opts *Opts) (*Dev, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Dev{rw: rw, opts: o}, nil
}

// Stats returns the sample decoder's counts.
func (d *Dev) Stats() DecoderStats { return d.dec.Stats }

// Bytes is the number of bytes read.
func (d *Dev) Bytes() uint64 { return d.bytes }

// Skipped is the number of bytes dropped while looking for a descriptor.
func (d *Dev) Skipped() uint64 { return d.skipped }

func (d *Dev) send(cmd byte, payload []byte) error {
	if _, err := d.rw.Write(Request(cmd, payload)); err != nil {
		return fmt.Errorf("rplidar: write command 0x%02x: %w", cmd, err)
	}
	return nil
}

// fill reads until at least n bytes are buffered.
func (d *Dev) fill(ctx context.Context, n int, deadline time.Time) error {
	for len(d.buf) < n {
		if err := d.readChunk(ctx, deadline); err != nil {
			return err
		}
	}
	return nil
}

// readChunk does one read into buf.
func (d *Dev) readChunk(ctx context.Context, deadline time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.opts.Now().After(deadline) {
		return ErrTimeout
	}
	n, err := d.rw.Read(d.chunk[:])
	if n > 0 {
		d.bytes += uint64(n)
		d.buf = append(d.buf, d.chunk[:n]...)
	}
	if err != nil {
		return fmt.Errorf("rplidar: read: %w", err)
	}
	if n == 0 {
		time.Sleep(time.Millisecond) // serial read timeout; do not spin
	}
	return nil
}

// Flush drops unread input, here and in the port when it can.
func (d *Dev) Flush() error {
	d.buf = d.buf[:0]
	d.queue = d.queue[:0]
	d.dec.Reset()
	if f, ok := d.rw.(InputFlusher); ok {
		if err := f.ResetInputBuffer(); err != nil {
			return fmt.Errorf("rplidar: flush: %w", err)
		}
	}
	return nil
}

// readDescriptor hunts for 0xA5 0x5A and parses the descriptor, checking
// its type and length.
func (d *Dev) readDescriptor(ctx context.Context, typ byte, length uint32) (Descriptor, error) {
	deadline := d.opts.Now().Add(d.opts.Timeout)
	for {
		if err := d.fill(ctx, DescriptorLen, deadline); err != nil {
			return Descriptor{}, err
		}
		if d.buf[0] == syncRequest && d.buf[1] == syncResponse {
			break
		}
		d.buf = d.buf[1:]
		d.skipped++
	}
	desc, err := ParseDescriptor(d.buf)
	if err != nil {
		return Descriptor{}, err
	}
	d.buf = d.buf[DescriptorLen:]
	if desc.Type != typ || desc.Len != length {
		return desc, fmt.Errorf("%w: type 0x%02x length %d, want 0x%02x length %d", ErrDescriptor, desc.Type, desc.Len, typ, length)
	}
	return desc, nil
}

func (d *Dev) request(ctx context.Context, cmd, typ byte, length int) ([]byte, error) {
	if err := d.send(cmd, nil); err != nil {
		return nil, err
	}
	if _, err := d.readDescriptor(ctx, typ, uint32(length)); err != nil {
		return nil, err
	}
	if err := d.fill(ctx, length, d.opts.Now().Add(d.opts.Timeout)); err != nil {
		return nil, err
	}
	out := append([]byte(nil), d.buf[:length]...)
	d.buf = d.buf[length:]
	return out, nil
}

// Info asks GET_INFO.
func (d *Dev) Info(ctx context.Context) (DeviceInfo, error) {
	b, err := d.request(ctx, CmdGetInfo, typeInfo, infoLen)
	if err != nil {
		return DeviceInfo{}, fmt.Errorf("rplidar: get info: %w", err)
	}
	return parseInfo(b)
}

// Health asks GET_HEALTH.
func (d *Dev) Health(ctx context.Context) (Health, error) {
	b, err := d.request(ctx, CmdGetHealth, typeHealth, healthLen)
	if err != nil {
		return Health{}, fmt.Errorf("rplidar: get health: %w", err)
	}
	return parseHealth(b)
}

// Stop ends a scan. The device answers nothing; it needs about 1 ms before
// the next request, and bytes of the old scan may still arrive, so Stop
// waits 2 ms and flushes.
func (d *Dev) Stop(ctx context.Context) error {
	if err := d.send(CmdStop, nil); err != nil {
		return err
	}
	if !reconnect.Sleep(ctx, 2*time.Millisecond) {
		return ctx.Err()
	}
	return d.Flush()
}

// Reset reboots the core. It answers nothing but prints a banner while
// booting, so Reset waits wait (the SDK uses 2 ms before talking again;
// give it more for the banner) and flushes.
func (d *Dev) Reset(ctx context.Context, wait time.Duration) error {
	if err := d.send(CmdReset, nil); err != nil {
		return err
	}
	if !reconnect.Sleep(ctx, wait) {
		return ctx.Err()
	}
	return d.Flush()
}

// StartMotor spins the motor: DTR cleared when the stream has SetDTR, then
// the PWM duty for MotorPWM.
func (d *Dev) StartMotor() error {
	return d.motor(false, d.opts.PWM)
}

// StopMotor stops it.
func (d *Dev) StopMotor() error {
	return d.motor(true, 0)
}

func (d *Dev) motor(dtr bool, pwm uint16) error {
	if d.opts.Motor == MotorNone {
		return nil
	}
	if s, ok := d.rw.(DTRSetter); ok {
		if err := s.SetDTR(dtr); err != nil {
			return fmt.Errorf("rplidar: set DTR: %w", err)
		}
	} else if d.opts.Motor == MotorDTR {
		return errors.New("rplidar: motor needs DTR, the stream cannot set it")
	}
	if d.opts.Motor == MotorPWM {
		return d.SetMotorPWM(pwm)
	}
	return nil
}

// SetMotorPWM sends SET_MOTOR_PWM (A2).
func (d *Dev) SetMotorPWM(pwm uint16) error {
	if pwm > MaxPWM {
		return fmt.Errorf("rplidar: PWM %d above %d", pwm, MaxPWM)
	}
	return d.send(CmdSetMotorPWM, []byte{byte(pwm), byte(pwm >> 8)})
}

// StartScan sends SCAN and checks the descriptor; samples follow.
func (d *Dev) StartScan(ctx context.Context) error {
	if err := d.send(CmdScan, nil); err != nil {
		return err
	}
	desc, err := d.readDescriptor(ctx, typeScan, SampleLen)
	if err != nil {
		return fmt.Errorf("rplidar: scan: %w", err)
	}
	if !desc.Multiple {
		return fmt.Errorf("rplidar: scan: %w: single response mode", ErrDescriptor)
	}
	d.dec.Reset()
	return nil
}

// ReadSample returns the next accepted sample and when it was read.
// ErrTimeout means no valid sample arrived for Timeout (motor stopped,
// cable pulled, wrong baud rate).
func (d *Dev) ReadSample(ctx context.Context) (Sample, time.Time, error) {
	deadline := d.opts.Now().Add(d.opts.Timeout)
	for len(d.queue) == 0 {
		if len(d.buf) == 0 {
			if err := d.readChunk(ctx, deadline); err != nil {
				return Sample{}, time.Time{}, err
			}
		}
		now := d.opts.Now()
		d.dec.Feed(d.buf, func(s Sample) { d.queue = append(d.queue, stamped{s, now}) })
		d.buf = d.buf[:0]
	}
	s := d.queue[0]
	d.queue = d.queue[1:]
	return s.s, s.t, nil
}
