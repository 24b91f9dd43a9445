package lidarlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/i2c"
)

// DefaultAddr is the factory I²C address.
const DefaultAddr = 0x62

// Registers and commands (v3 operation manual, control register list).
const (
	regAcqCommand   = 0x00
	regStatus       = 0x01
	regDistanceAuto = 0x8f // FULL_DELAY_HIGH (0x0f) | auto-increment

	cmdMeasureBias   = 0x04
	cmdMeasureNoBias = 0x03
)

// Status bits.
const (
	StatusBusy          = 1 << 0
	StatusRefOverflow   = 1 << 1
	StatusSigOverflow   = 1 << 2
	StatusInvalidSignal = 1 << 3
	StatusSecondReturn  = 1 << 4
	StatusHealthy       = 1 << 5
	StatusProcessError  = 1 << 6
)

// ErrBusyTimeout is returned when the device stays busy past BusyTimeout.
var ErrBusyTimeout = errors.New("lidarlite: measurement did not complete")

// Opts configure a Dev.
type Opts struct {
	Addr uint16 // default 0x62
	// BiasEvery: bias-corrected measurement every BiasEvery (default 100).
	BiasEvery int
	// BusyTimeout bounds the wait for one measurement (default 100 ms;
	// one takes under 20 ms).
	BusyTimeout time.Duration
	// PollInterval between STATUS reads (default 1 ms).
	PollInterval time.Duration
}

// DefaultOpts are the defaults.
var DefaultOpts = Opts{Addr: DefaultAddr, BiasEvery: 100, BusyTimeout: 100 * time.Millisecond, PollInterval: time.Millisecond}

func (o *Opts) validate() error {
	if o.Addr == 0 {
		o.Addr = DefaultAddr
	}
	if o.BiasEvery == 0 {
		o.BiasEvery = DefaultOpts.BiasEvery
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = DefaultOpts.BusyTimeout
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultOpts.PollInterval
	}
	if o.Addr > 0x7f {
		return fmt.Errorf("lidarlite: I²C address 0x%02x is not 7-bit", o.Addr)
	}
	if o.BiasEvery < 0 || o.BusyTimeout < 0 || o.PollInterval < 0 {
		return fmt.Errorf("lidarlite: invalid options %+v", *o)
	}
	return nil
}

// Measurement is one reading.
type Measurement struct {
	DistanceCM uint16
	Status     byte // STATUS after the measurement completed
}

// Valid reports whether the distance can be trusted.
func (m Measurement) Valid() bool {
	return m.Status&(StatusInvalidSignal|StatusProcessError) == 0 && m.Status&StatusHealthy != 0
}

// Metres is the distance in metres, 0 when not Valid.
func (m Measurement) Metres() float32 {
	if !m.Valid() {
		return 0
	}
	return float32(m.DistanceCM) / 100
}

// Dev is a LIDAR-Lite v3 on an I²C bus.
type Dev struct {
	d    i2c.Dev
	opts Opts
	n    int // measurements since the last bias correction
}

// New returns the device at opts.Addr on b. It does no I/O.
func New(b i2c.Bus, opts *Opts) (*Dev, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Dev{d: i2c.Dev{Bus: b, Addr: o.Addr}, opts: o}, nil
}

// String names the device.
func (d *Dev) String() string { return fmt.Sprintf("LIDAR-Lite v3@0x%02x", d.opts.Addr) }

// Measure takes one measurement: acquisition command, busy polling,
// distance read.
func (d *Dev) Measure(ctx context.Context) (Measurement, error) {
	cmd := byte(cmdMeasureNoBias)
	if d.n == 0 {
		cmd = cmdMeasureBias
	}
	if err := d.d.Tx([]byte{regAcqCommand, cmd}, nil); err != nil {
		return Measurement{}, fmt.Errorf("lidarlite: %s: acquisition command: %w", d, err)
	}
	d.n = (d.n + 1) % max(d.opts.BiasEvery, 1)
	deadline := time.Now().Add(d.opts.BusyTimeout)
	var st byte
	for {
		var err error
		if st, err = d.readReg(regStatus); err != nil {
			return Measurement{}, err
		}
		if st&StatusBusy == 0 {
			break
		}
		if time.Now().After(deadline) {
			return Measurement{}, fmt.Errorf("lidarlite: %s: status 0x%02x after %v: %w", d, st, d.opts.BusyTimeout, ErrBusyTimeout)
		}
		t := time.NewTimer(d.opts.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return Measurement{}, ctx.Err()
		case <-t.C:
		}
	}
	var r [2]byte
	if err := d.d.Tx([]byte{regDistanceAuto}, nil); err != nil {
		return Measurement{}, fmt.Errorf("lidarlite: %s: select distance: %w", d, err)
	}
	if err := d.d.Tx(nil, r[:]); err != nil {
		return Measurement{}, fmt.Errorf("lidarlite: %s: read distance: %w", d, err)
	}
	return Measurement{DistanceCM: uint16(r[0])<<8 | uint16(r[1]), Status: st}, nil
}

func (d *Dev) readReg(reg byte) (byte, error) {
	var r [1]byte
	if err := d.d.Tx([]byte{reg}, nil); err != nil {
		return 0, fmt.Errorf("lidarlite: %s: select register 0x%02x: %w", d, reg, err)
	}
	if err := d.d.Tx(nil, r[:]); err != nil {
		return 0, fmt.Errorf("lidarlite: %s: read register 0x%02x: %w", d, reg, err)
	}
	return r[0], nil
}
