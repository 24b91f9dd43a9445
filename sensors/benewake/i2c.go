package benewake

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/i2c"
)

// TF-Luna I²C registers (manual appendix III).
const (
	regDistLow     = 0x00 // 0x00–0x05: dist, amp, temp, little endian
	regTrigOneShot = 0x24
)

// DefaultI2CAddr is the TF-Luna's factory I²C address.
const DefaultI2CAddr = 0x10

// I2COpts configure a TF-Luna on I²C.
type I2COpts struct {
	Addr uint16 // default 0x10
	// Trigger writes TRIG_ONE_SHOT before each read and waits TriggerWait,
	// for a device configured in trigger mode (register MODE 0x23 = 1).
	Trigger     bool
	TriggerWait time.Duration // default 10 ms
}

// DefaultI2COpts are the defaults.
var DefaultI2COpts = I2COpts{Addr: DefaultI2CAddr, TriggerWait: 10 * time.Millisecond}

// I2C is a TF-Luna on an I²C bus.
type I2C struct {
	d    i2c.Dev
	opts I2COpts
}

// NewI2C returns a TF-Luna at opts.Addr on b. It does no I/O.
func NewI2C(b i2c.Bus, opts *I2COpts) (*I2C, error) {
	o := DefaultI2COpts
	if opts != nil {
		o = *opts
	}
	if o.Addr == 0 {
		o.Addr = DefaultI2CAddr
	}
	if o.Addr < 0x08 || o.Addr > 0x77 {
		return nil, fmt.Errorf("benewake: I²C address 0x%02x outside 0x08–0x77", o.Addr)
	}
	if o.TriggerWait == 0 {
		o.TriggerWait = DefaultI2COpts.TriggerWait
	}
	if o.TriggerWait < 0 {
		return nil, fmt.Errorf("benewake: negative trigger wait %v", o.TriggerWait)
	}
	return &I2C{d: i2c.Dev{Bus: b, Addr: o.Addr}, opts: o}, nil
}

// String names the device.
func (d *I2C) String() string { return fmt.Sprintf("TF-Luna@0x%02x", d.opts.Addr) }

// Read takes one reading. A bus error (NACK: device absent or busy) is
// returned wrapped.
func (d *I2C) Read(ctx context.Context) (Measurement, error) {
	if d.opts.Trigger {
		if err := d.d.Tx([]byte{regTrigOneShot, 0x01}, nil); err != nil {
			return Measurement{}, fmt.Errorf("benewake: %s: trigger: %w", d, err)
		}
		t := time.NewTimer(d.opts.TriggerWait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Measurement{}, ctx.Err()
		case <-t.C:
		}
	}
	var r [6]byte
	if err := d.d.Tx([]byte{regDistLow}, r[:]); err != nil {
		return Measurement{}, fmt.Errorf("benewake: %s: read: %w", d, err)
	}
	return Measurement{
		DistanceCM: uint16(r[0]) | uint16(r[1])<<8,
		Strength:   uint16(r[2]) | uint16(r[3])<<8,
		TempC:      tempFromI2C(uint16(r[4]) | uint16(r[5])<<8),
	}, nil
}
