package benewake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrTimeout is returned when no valid frame arrived in time.
var ErrTimeout = errors.New("benewake: timeout waiting for a frame")

// UARTOpts configure a UART reader.
type UARTOpts struct {
	Model Model // TFLuna (default) or TFminiS; both share the frame format
	// Timeout without a valid frame before Read gives up (default 1s; the
	// devices send 100 frames/s by default).
	Timeout time.Duration
	// Now is the clock for receive stamps (default time.Now).
	Now func() time.Time
}

// DefaultUARTOpts are the defaults.
var DefaultUARTOpts = UARTOpts{Model: TFLuna, Timeout: time.Second}

// UART reads frames from a TF-Luna or TFmini-S serial byte stream.
type UART struct {
	r       io.Reader
	opts    UARTOpts
	dec     Decoder
	buf     [64]byte
	queue   []Measurement
	stamps  []time.Time
	bytes   uint64
	pushOne func(Measurement)
	now     time.Time
}

// NewUART returns a reader of r. r should return (0, nil) or an error on
// its own read timeout, as go.bug.st/serial ports with SetReadTimeout do,
// so that Read can honour ctx; a reader that blocks forever can only be
// interrupted by closing it.
func NewUART(r io.Reader, opts *UARTOpts) (*UART, error) {
	o := DefaultUARTOpts
	if opts != nil {
		o = *opts
	}
	if o.Model == 0 {
		o.Model = TFLuna
	}
	if o.Model != TFLuna && o.Model != TFminiS {
		return nil, fmt.Errorf("benewake: unsupported UART model %v", o.Model)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultUARTOpts.Timeout
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("benewake: negative timeout %v", o.Timeout)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	u := &UART{r: r, opts: o}
	u.pushOne = func(m Measurement) {
		u.queue = append(u.queue, m)
		u.stamps = append(u.stamps, u.now)
	}
	return u, nil
}

// Read returns the next frame with a good checksum and the time its last
// byte was read. Unreliable readings (see Measurement.Valid) are returned
// too; the caller decides. Errors: ctx's error, ErrTimeout, or the stream's
// read error wrapped (the device is gone).
func (u *UART) Read(ctx context.Context) (Measurement, time.Time, error) {
	deadline := u.opts.Now().Add(u.opts.Timeout)
	for len(u.queue) == 0 {
		if err := ctx.Err(); err != nil {
			return Measurement{}, time.Time{}, err
		}
		if u.opts.Now().After(deadline) {
			return Measurement{}, time.Time{}, ErrTimeout
		}
		n, err := u.r.Read(u.buf[:])
		u.now = u.opts.Now()
		if n > 0 {
			u.bytes += uint64(n)
			u.dec.Feed(u.buf[:n], u.pushOne)
		}
		if err != nil {
			if len(u.queue) > 0 {
				break // deliver what arrived; the error will recur
			}
			return Measurement{}, time.Time{}, fmt.Errorf("benewake: read: %w", err)
		}
		if n == 0 {
			// A serial read timeout; avoid spinning on readers that return
			// at once.
			time.Sleep(time.Millisecond)
		}
	}
	m, st := u.queue[0], u.stamps[0]
	u.queue = u.queue[1:]
	u.stamps = u.stamps[1:]
	if len(u.queue) == 0 {
		u.queue, u.stamps = u.queue[:0], u.stamps[:0]
	}
	return m, st, nil
}

// Stats returns the decoder counts.
func (u *UART) Stats() DecoderStats { return u.dec.Stats }

// Bytes is the number of bytes read.
func (u *UART) Bytes() uint64 { return u.bytes }
