package arducam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"time"

	"github.com/sensortrust/trustagent/sensors/reconnect"
	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// ArduChip registers and bits.
const (
	regTest      = 0x00
	regFrames    = 0x01
	regFIFO      = 0x04
	regBurstRead = 0x3C
	regStatus    = 0x41
	regFIFOSize1 = 0x42
	regFIFOSize2 = 0x43
	regFIFOSize3 = 0x44

	fifoClear      = 0x01
	fifoStart      = 0x02
	fifoResetRead  = 0x10
	fifoResetWrite = 0x20
	statusCapDone  = 0x08

	writeBit  = 0x80
	testValue = 0x55

	// MaxFIFO is the 2MP's frame buffer size.
	MaxFIFO = 0x5FFFF
)

// OV2640 (SCCB) registers.
const (
	// SensorAddr is the OV2640's 7-bit SCCB address.
	SensorAddr = 0x30

	regBank  = 0xFF
	bankDSP  = 0x00
	bankSens = 0x01
	regCOM7  = 0x12
	regPIDH  = 0x0A
	regPIDL  = 0x0B
	com7SRST = 0x80
)

// Reg is one OV2640 register write in a bank.
type Reg struct{ Bank, Addr, Val byte }

// DefaultInit switches the DSP to JPEG output at 320×240: DSP reset held
// (RESET 0xE0 = JPEG|DVP), IMAGE_MODE (0xDA) JPEG enable, output size
// ZMOW/ZMOH (0x5A/0x5B, in units of 4 pixels) with ZMHH (0x5C) 0, then the
// reset released. See the package doc about verification.
func DefaultInit() []Reg {
	return []Reg{
		{bankDSP, 0xE0, 0x14},
		{bankDSP, 0xDA, 0x10},
		{bankDSP, 0x5A, 320 / 4},
		{bankDSP, 0x5B, 240 / 4},
		{bankDSP, 0x5C, 0x00},
		{bankDSP, 0xE0, 0x00},
	}
}

// Errors.
var (
	ErrTestRegister   = errors.New("arducam: SPI test register mismatch (check wiring and CS)")
	ErrChipID         = errors.New("arducam: OV2640 not found on SCCB")
	ErrCaptureTimeout = errors.New("arducam: capture did not complete")
	ErrFIFOLength     = errors.New("arducam: implausible FIFO length")
	ErrNoJPEG         = errors.New("arducam: FIFO holds no complete JPEG")
)

// Opts configure a Dev.
type Opts struct {
	SPIFreq        physic.Frequency // default 4 MHz
	Init           []Reg            // sensor set-up after reset (default DefaultInit())
	ResetWait      time.Duration    // after the sensor soft reset (default 100 ms)
	CaptureTimeout time.Duration    // default 1 s
	PollInterval   time.Duration    // capture-done polling (default 5 ms)
	Chunk          int              // burst chunk (default: the port's MaxTxSize, else 4096)
}

// DefaultOpts are the defaults (Init empty means DefaultInit()).
var DefaultOpts = Opts{SPIFreq: 4 * physic.MegaHertz, ResetWait: 100 * time.Millisecond, CaptureTimeout: time.Second, PollInterval: 5 * time.Millisecond}

func (o *Opts) validate() error {
	if o.SPIFreq == 0 {
		o.SPIFreq = DefaultOpts.SPIFreq
	}
	if o.Init == nil {
		o.Init = DefaultInit()
	}
	if o.ResetWait == 0 {
		o.ResetWait = DefaultOpts.ResetWait
	}
	if o.CaptureTimeout == 0 {
		o.CaptureTimeout = DefaultOpts.CaptureTimeout
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultOpts.PollInterval
	}
	if o.SPIFreq < 0 || o.SPIFreq > 8*physic.MegaHertz {
		return fmt.Errorf("arducam: SPI frequency %v outside (0, 8 MHz]", o.SPIFreq)
	}
	if o.ResetWait < 0 || o.CaptureTimeout < 0 || o.PollInterval < 0 || o.Chunk < 0 {
		return fmt.Errorf("arducam: invalid options %+v", *o)
	}
	return nil
}

// Dev is an ArduCAM Mini 2MP.
type Dev struct {
	c     spi.Conn
	s     i2c.Dev
	opts  Opts
	chunk int
}

// New connects to the ArduChip on p (mode 0, 8 bits) and the OV2640 at
// 0x30 on b. It does no I/O beyond configuring the SPI connection.
func New(p spi.Port, b i2c.Bus, opts *Opts) (*Dev, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	c, err := p.Connect(o.SPIFreq, spi.Mode0, 8)
	if err != nil {
		return nil, fmt.Errorf("arducam: SPI connect: %w", err)
	}
	chunk := o.Chunk
	if chunk == 0 {
		chunk = 4096
		if l, ok := c.(conn.Limits); ok && l.MaxTxSize() > 1 {
			chunk = l.MaxTxSize()
		}
	}
	return &Dev{c: c, s: i2c.Dev{Bus: b, Addr: SensorAddr}, opts: o, chunk: max(chunk-1, 1)}, nil
}

func (d *Dev) write(reg, v byte) error {
	if err := d.c.Tx([]byte{reg | writeBit, v}, nil); err != nil {
		return fmt.Errorf("arducam: SPI write 0x%02x: %w", reg, err)
	}
	return nil
}

func (d *Dev) read(reg byte) (byte, error) {
	var r [2]byte
	if err := d.c.Tx([]byte{reg &^ writeBit, 0}, r[:]); err != nil {
		return 0, fmt.Errorf("arducam: SPI read 0x%02x: %w", reg, err)
	}
	return r[1], nil
}

func (d *Dev) sensorWrite(reg, v byte) error {
	if err := d.s.Tx([]byte{reg, v}, nil); err != nil {
		return fmt.Errorf("arducam: SCCB write 0x%02x: %w", reg, err)
	}
	return nil
}

func (d *Dev) sensorRead(reg byte) (byte, error) {
	// SCCB has no repeated start: address write and read are separate.
	var r [1]byte
	if err := d.s.Tx([]byte{reg}, nil); err != nil {
		return 0, fmt.Errorf("arducam: SCCB select 0x%02x: %w", reg, err)
	}
	if err := d.s.Tx(nil, r[:]); err != nil {
		return 0, fmt.Errorf("arducam: SCCB read 0x%02x: %w", reg, err)
	}
	return r[0], nil
}

// Init checks the SPI link, resets and identifies the OV2640, loads the
// register table and clears the FIFO flag.
func (d *Dev) Init(ctx context.Context) error {
	if err := d.write(regTest, testValue); err != nil {
		return err
	}
	if v, err := d.read(regTest); err != nil {
		return err
	} else if v != testValue {
		return fmt.Errorf("%w: read 0x%02x", ErrTestRegister, v)
	}
	if err := d.sensorWrite(regBank, bankSens); err != nil {
		return err
	}
	if err := d.sensorWrite(regCOM7, com7SRST); err != nil {
		return err
	}
	if !reconnect.Sleep(ctx, d.opts.ResetWait) {
		return ctx.Err()
	}
	if err := d.sensorWrite(regBank, bankSens); err != nil {
		return err
	}
	hi, err := d.sensorRead(regPIDH)
	if err != nil {
		return err
	}
	lo, err := d.sensorRead(regPIDL)
	if err != nil {
		return err
	}
	if hi != 0x26 || (lo != 0x41 && lo != 0x42) {
		return fmt.Errorf("%w: product id 0x%02x%02x", ErrChipID, hi, lo)
	}
	bank := -1
	for _, r := range d.opts.Init {
		if int(r.Bank) != bank {
			if err := d.sensorWrite(regBank, r.Bank); err != nil {
				return err
			}
			bank = int(r.Bank)
		}
		if err := d.sensorWrite(r.Addr, r.Val); err != nil {
			return err
		}
	}
	if err := d.write(regFrames, 0); err != nil {
		return err
	}
	return d.write(regFIFO, fifoClear)
}

// Capture takes one frame and returns the JPEG bytes.
func (d *Dev) Capture(ctx context.Context) ([]byte, error) {
	for _, v := range []byte{fifoClear, fifoResetWrite | fifoResetRead, fifoStart} {
		if err := d.write(regFIFO, v); err != nil {
			return nil, err
		}
	}
	deadline := time.Now().Add(d.opts.CaptureTimeout)
	for {
		st, err := d.read(regStatus)
		if err != nil {
			return nil, err
		}
		if st&statusCapDone != 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w within %v (status 0x%02x)", ErrCaptureTimeout, d.opts.CaptureTimeout, st)
		}
		if !reconnect.Sleep(ctx, d.opts.PollInterval) {
			return nil, ctx.Err()
		}
	}
	var s [3]byte
	for i, reg := range []byte{regFIFOSize1, regFIFOSize2, regFIFOSize3} {
		v, err := d.read(reg)
		if err != nil {
			return nil, err
		}
		s[i] = v
	}
	n := int(s[0]) | int(s[1])<<8 | int(s[2]&0x7F)<<16
	if n == 0 || n > MaxFIFO {
		return nil, fmt.Errorf("%w: %d bytes", ErrFIFOLength, n)
	}
	buf := make([]byte, 0, n)
	w := make([]byte, d.chunk+1)
	r := make([]byte, d.chunk+1)
	w[0] = regBurstRead
	for len(buf) < n {
		k := min(d.chunk, n-len(buf))
		if err := d.c.Tx(w[:k+1], r[:k+1]); err != nil {
			return nil, fmt.Errorf("arducam: burst read at %d of %d: %w", len(buf), n, err)
		}
		buf = append(buf, r[1:k+1]...)
	}
	if err := d.write(regFIFO, fifoClear); err != nil {
		return nil, err
	}
	return ExtractJPEG(buf)
}

// ExtractJPEG cuts the JPEG out of a FIFO dump: from the first SOI to the
// first EOI after it.
func ExtractJPEG(fifo []byte) ([]byte, error) {
	start := bytes.Index(fifo, []byte{0xFF, 0xD8})
	if start < 0 {
		return nil, fmt.Errorf("%w: no SOI in %d bytes", ErrNoJPEG, len(fifo))
	}
	end := bytes.Index(fifo[start+2:], []byte{0xFF, 0xD9})
	if end < 0 {
		return nil, fmt.Errorf("%w: no EOI after SOI at %d", ErrNoJPEG, start)
	}
	return fifo[start : start+2+end+2], nil
}

// DecodeGray decodes a JPEG to its luma plane, w×h bytes.
func DecodeGray(j []byte) (pix []byte, w, h int, err error) {
	img, err := jpeg.Decode(bytes.NewReader(j))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("arducam: JPEG: %w", err)
	}
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	pix = make([]byte, w*h)
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			i := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(pix[y*w:(y+1)*w], m.Y[i:i+w])
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(pix[y*w:(y+1)*w], m.Pix[i:i+w])
		}
	default:
		return nil, 0, 0, fmt.Errorf("arducam: JPEG colour model %T not expected from an OV2640", img)
	}
	return pix, w, h, nil
}
