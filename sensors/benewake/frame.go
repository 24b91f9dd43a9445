package benewake

import (
	"errors"
	"fmt"
)

// FrameLen is the length of a UART data frame.
const FrameLen = 9

const header = 0x59

// Model is a supported Benewake device.
type Model uint8

// Models.
const (
	TFLuna Model = iota + 1
	TFminiS
)

func (m Model) String() string {
	switch m {
	case TFLuna:
		return "TF-Luna"
	case TFminiS:
		return "TFmini-S"
	}
	return fmt.Sprintf("Model(%d)", uint8(m))
}

// ParseModel accepts "tfluna", "tf-luna", "tfmini-s", "tfminis".
func ParseModel(s string) (Model, error) {
	switch s {
	case "tfluna", "tf-luna", "TF-Luna":
		return TFLuna, nil
	case "tfminis", "tfmini-s", "TFmini-S":
		return TFminiS, nil
	}
	return 0, fmt.Errorf("benewake: unknown model %q", s)
}

// Measurement is one decoded reading in device units.
type Measurement struct {
	DistanceCM uint16  // as sent; TFmini-S uses 0xFFFF, 0xFFFE, 0xFFFC for −1, −2, −4
	Strength   uint16  // signal strength (TF-Luna "Amp")
	TempC      float32 // chip temperature, °C
}

// Valid reports whether the distance can be trusted: strength in
// [100, 0xFFFF) and a non-negative distance as a signed value.
func (m Measurement) Valid() bool {
	return m.Strength >= 100 && m.Strength != 0xFFFF && int16(m.DistanceCM) >= 0
}

// Metres is the distance in metres, 0 when not Valid.
func (m Measurement) Metres() float32 {
	if !m.Valid() {
		return 0
	}
	return float32(m.DistanceCM) / 100
}

// NormStrength maps Strength to [0, 1].
func (m Measurement) NormStrength() float32 {
	return float32(min(m.Strength, 30000)) / 30000
}

// Errors returned by ParseFrame.
var (
	ErrShortFrame = errors.New("benewake: short frame")
	ErrHeader     = errors.New("benewake: bad frame header")
)

// ChecksumError reports a frame whose sum byte does not match.
type ChecksumError struct{ Got, Want byte }

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("benewake: checksum 0x%02x, computed 0x%02x", e.Got, e.Want)
}

// ParseFrame decodes one 9-byte UART frame.
func ParseFrame(b []byte) (Measurement, error) {
	if len(b) < FrameLen {
		return Measurement{}, fmt.Errorf("%w: %d bytes", ErrShortFrame, len(b))
	}
	if b[0] != header || b[1] != header {
		return Measurement{}, fmt.Errorf("%w: % x", ErrHeader, b[:2])
	}
	if want := checksum(b[:8]); b[8] != want {
		return Measurement{}, &ChecksumError{Got: b[8], Want: want}
	}
	return Measurement{
		DistanceCM: uint16(b[2]) | uint16(b[3])<<8,
		Strength:   uint16(b[4]) | uint16(b[5])<<8,
		TempC:      float32(uint16(b[6])|uint16(b[7])<<8)/8 - 256,
	}, nil
}

// AppendFrame appends the UART encoding of a reading with raw temperature
// tempRaw (°C = tempRaw/8 − 256); tests and simulators use it.
func AppendFrame(dst []byte, distCM, strength, tempRaw uint16) []byte {
	start := len(dst)
	dst = append(dst, header, header, byte(distCM), byte(distCM>>8), byte(strength), byte(strength>>8), byte(tempRaw), byte(tempRaw>>8))
	return append(dst, checksum(dst[start:]))
}

func checksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}

// DecoderStats count what a Decoder saw.
type DecoderStats struct {
	Frames    uint64 // good frames
	Malformed uint64 // frames with a bad checksum
	Resyncs   uint64 // times bytes were skipped to find a header
	Skipped   uint64 // bytes skipped while hunting
}

// Decoder turns a UART byte stream into measurements. It keeps partial
// frames between calls to Feed, so the stream may be cut anywhere. The zero
// value is ready.
type Decoder struct {
	buf     [FrameLen]byte
	n       int
	hunting bool
	Stats   DecoderStats
}

// Feed consumes p and calls out for each good frame, in order.
func (d *Decoder) Feed(p []byte, out func(Measurement)) {
	for _, c := range p {
		d.push(c, out)
	}
}

func (d *Decoder) push(c byte, out func(Measurement)) {
	if d.n < 2 && c != header {
		d.skip(1 + d.n)
		d.n = 0
		return
	}
	d.buf[d.n] = c
	d.n++
	if d.n < FrameLen {
		return
	}
	m, err := ParseFrame(d.buf[:])
	if err == nil {
		d.Stats.Frames++
		d.hunting = false
		d.n = 0
		out(m)
		return
	}
	d.Stats.Malformed++
	// Look for the next header candidate inside the rejected frame.
	for i := 1; i < FrameLen; i++ {
		if d.buf[i] == header && (i == FrameLen-1 || d.buf[i+1] == header) {
			d.skip(i)
			copy(d.buf[:], d.buf[i:])
			d.n = FrameLen - i
			return
		}
	}
	d.skip(FrameLen)
	d.n = 0
}

// skip counts n discarded bytes, and a resync when a hunt begins.
func (d *Decoder) skip(n int) {
	if !d.hunting {
		d.hunting = true
		d.Stats.Resyncs++
	}
	d.Stats.Skipped += uint64(n)
}

// tempFromI2C converts the TF-Luna I²C temperature register (0.01 °C).
func tempFromI2C(raw uint16) float32 {
	return float32(int16(raw)) / 100
}
