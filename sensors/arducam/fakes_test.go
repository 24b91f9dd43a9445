package arducam

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"sync"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// testJPEG encodes a w×h gradient.
func testJPEG(t testing.TB, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(20 + 200*(i%w)/w)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Transcript builders.
func spiW(reg, v byte) conntest.IO { return conntest.IO{W: []byte{reg | 0x80, v}} }
func spiR(reg, v byte) conntest.IO { return conntest.IO{W: []byte{reg, 0}, R: []byte{0, v}} }
func sccbW(reg, v byte) i2ctest.IO { return i2ctest.IO{Addr: 0x30, W: []byte{reg, v}} }
func sccbR(reg, v byte) []i2ctest.IO {
	return []i2ctest.IO{{Addr: 0x30, W: []byte{reg}}, {Addr: 0x30, R: []byte{v}}}
}

// initOps is the transcript of Dev.Init with the default table.
func initOps() ([]conntest.IO, []i2ctest.IO) {
	s := []conntest.IO{spiW(0x00, 0x55), spiR(0x00, 0x55)}
	i := []i2ctest.IO{sccbW(0xFF, 1), sccbW(0x12, 0x80), sccbW(0xFF, 1)}
	i = append(i, sccbR(0x0A, 0x26)...)
	i = append(i, sccbR(0x0B, 0x42)...)
	i = append(i, sccbW(0xFF, 0))
	for _, r := range DefaultInit() {
		i = append(i, sccbW(r.Addr, r.Val))
	}
	s = append(s, spiW(0x01, 0), spiW(0x04, 0x01))
	return s, i
}

// captureOps is the transcript of one Dev.Capture returning fifo, with
// busy status polls before done and chunk data bytes per burst.
func captureOps(fifo []byte, busy, chunk int) []conntest.IO {
	ops := []conntest.IO{spiW(0x04, 0x01), spiW(0x04, 0x30), spiW(0x04, 0x02)}
	for i := 0; i < busy; i++ {
		ops = append(ops, spiR(0x41, 0x00))
	}
	n := len(fifo)
	ops = append(ops, spiR(0x41, 0x08), spiR(0x42, byte(n)), spiR(0x43, byte(n>>8)), spiR(0x44, byte(n>>16)))
	for off := 0; off < n; off += chunk {
		k := min(chunk, n-off)
		w := make([]byte, k+1)
		w[0] = 0x3C
		ops = append(ops, conntest.IO{W: w, R: append([]byte{0}, fifo[off:off+k]...)})
	}
	return append(ops, spiW(0x04, 0x01))
}

// chip emulates the ArduChip and OV2640 at the register level: captures
// complete after one busy poll and fill the FIFO with a dummy byte, a JPEG
// and padding. It can be unplugged.
type chip struct {
	mu       sync.Mutex
	jpeg     []byte
	fifo     []byte
	rd       int
	polls    int
	test     byte
	reg      byte
	bank     byte
	gone     bool
	neverEnd bool
}

var errGone = errors.New("spi: device gone")

// SPI side.
func (c *chip) String() string                                            { return "chip" }
func (c *chip) Close() error                                              { return nil }
func (c *chip) LimitSpeed(physic.Frequency) error                         { return nil }
func (c *chip) Connect(physic.Frequency, spi.Mode, int) (spi.Conn, error) { return c, nil }
func (c *chip) Duplex() conn.Duplex                                       { return conn.Full }
func (c *chip) TxPackets([]spi.Packet) error                              { return errors.New("unsupported") }
func (c *chip) Tx(w, r []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return errGone
	}
	reg := w[0] &^ 0x80
	if w[0]&0x80 != 0 {
		switch reg {
		case 0x00:
			c.test = w[1]
		case 0x04:
			if w[1]&0x02 != 0 {
				c.fifo = append(append([]byte{0x00}, c.jpeg...), 0, 0, 0)
				c.polls, c.rd = 0, 0
			}
		}
		return nil
	}
	if reg == 0x3C {
		n := copy(r[1:], c.fifo[min(c.rd, len(c.fifo)):])
		c.rd += n
		return nil
	}
	var v byte
	switch reg {
	case 0x00:
		v = c.test
	case 0x41:
		c.polls++
		if c.polls > 1 && !c.neverEnd {
			v = 0x08
		}
	case 0x42:
		v = byte(len(c.fifo))
	case 0x43:
		v = byte(len(c.fifo) >> 8)
	case 0x44:
		v = byte(len(c.fifo) >> 16)
	}
	if len(r) > 1 {
		r[1] = v
	}
	return nil
}

// sccb is the OV2640 side of chip.
type sccb struct{ c *chip }

func (s sccb) String() string                  { return "sccb" }
func (s sccb) Close() error                    { return nil }
func (s sccb) SetSpeed(physic.Frequency) error { return nil }
func (s sccb) Tx(addr uint16, w, r []byte) error {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return os.ErrClosed
	}
	if addr != SensorAddr {
		return errors.New("NACK")
	}
	switch {
	case len(w) == 2 && w[0] == 0xFF:
		c.bank = w[1]
	case len(w) == 1:
		c.reg = w[0]
	case len(r) == 1 && c.bank == 1 && c.reg == 0x0A:
		r[0] = 0x26
	case len(r) == 1 && c.bank == 1 && c.reg == 0x0B:
		r[0] = 0x42
	}
	return nil
}
