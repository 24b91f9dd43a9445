package rplidar

import (
	"errors"
	"fmt"
	"math"
)

// Commands (protocol LR001, table 3).
const (
	CmdStop        = 0x25
	CmdReset       = 0x40
	CmdScan        = 0x20
	CmdForceScan   = 0x21
	CmdGetInfo     = 0x50
	CmdGetHealth   = 0x52
	CmdSetMotorPWM = 0xF0
)

const (
	syncRequest  = 0xA5
	syncResponse = 0x5A

	// DescriptorLen is the length of a response descriptor.
	DescriptorLen = 7
	// SampleLen is the length of a SCAN sample.
	SampleLen = 5

	typeScan   = 0x81
	typeInfo   = 0x04
	typeHealth = 0x06
	infoLen    = 20
	healthLen  = 3

	// DefaultPWM is the A2's nominal motor duty.
	DefaultPWM = 660
	// MaxPWM is the largest duty SET_MOTOR_PWM takes.
	MaxPWM = 1023
)

// Request encodes a request. Payload-carrying requests get the size byte
// and XOR checksum.
func Request(cmd byte, payload []byte) []byte {
	b := []byte{syncRequest, cmd}
	if len(payload) == 0 {
		return b
	}
	b = append(b, byte(len(payload)))
	b = append(b, payload...)
	var x byte
	for _, c := range b {
		x ^= c
	}
	return append(b, x)
}

// Descriptor is a response descriptor.
type Descriptor struct {
	Len      uint32 // bytes per response (30 bits)
	Multiple bool   // send mode: a stream of responses until STOP
	Type     byte
}

// Errors of the parsers.
var (
	ErrShort      = errors.New("rplidar: short data")
	ErrSync       = errors.New("rplidar: bad response sync bytes")
	ErrCheckBits  = errors.New("rplidar: sample check bits wrong")
	ErrAngle      = errors.New("rplidar: sample angle ≥ 360°")
	ErrDescriptor = errors.New("rplidar: unexpected response descriptor")
)

// ParseDescriptor decodes a 7-byte response descriptor.
func ParseDescriptor(b []byte) (Descriptor, error) {
	if len(b) < DescriptorLen {
		return Descriptor{}, fmt.Errorf("%w: descriptor of %d bytes", ErrShort, len(b))
	}
	if b[0] != syncRequest || b[1] != syncResponse {
		return Descriptor{}, fmt.Errorf("%w: % x", ErrSync, b[:2])
	}
	v := uint32(b[2]) | uint32(b[3])<<8 | uint32(b[4])<<16 | uint32(b[5])<<24
	return Descriptor{Len: v & 0x3FFFFFFF, Multiple: v>>30 == 1, Type: b[6]}, nil
}

// AppendDescriptor encodes a descriptor; tests and simulators use it.
func AppendDescriptor(dst []byte, d Descriptor) []byte {
	v := d.Len & 0x3FFFFFFF
	if d.Multiple {
		v |= 1 << 30
	}
	return append(dst, syncRequest, syncResponse, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), d.Type)
}

// Sample is one SCAN measurement.
type Sample struct {
	Start   bool   // first sample of a new revolution
	Quality uint8  // 0–63
	AngleQ6 uint16 // degrees × 64
	DistQ2  uint16 // millimetres × 4; 0 = no return
}

// AngleDeg is the angle in degrees.
func (s Sample) AngleDeg() float64 { return float64(s.AngleQ6) / 64 }

// Azimuth is the angle in radians.
func (s Sample) Azimuth() float32 { return float32(float64(s.AngleQ6) / 64 * math.Pi / 180) }

// Metres is the distance in metres.
func (s Sample) Metres() float32 { return float32(s.DistQ2) / 4000 }

// ParseSample decodes and checks a 5-byte sample.
func ParseSample(b []byte) (Sample, error) {
	if len(b) < SampleLen {
		return Sample{}, fmt.Errorf("%w: sample of %d bytes", ErrShort, len(b))
	}
	s, ns, c := b[0]&1, (b[0]>>1)&1, b[1]&1
	if s == ns || c != 1 {
		return Sample{}, fmt.Errorf("%w: % x", ErrCheckBits, b[:2])
	}
	a := uint16(b[1])>>1 | uint16(b[2])<<7
	if a >= 360*64 {
		return Sample{}, fmt.Errorf("%w: %d/64°", ErrAngle, a)
	}
	return Sample{Start: s == 1, Quality: b[0] >> 2, AngleQ6: a, DistQ2: uint16(b[3]) | uint16(b[4])<<8}, nil
}

// AppendSample encodes a sample; tests and simulators use it. Fields are
// truncated to their widths.
func AppendSample(dst []byte, s Sample) []byte {
	b0 := (s.Quality & 0x3F) << 2
	if s.Start {
		b0 |= 1
	} else {
		b0 |= 2
	}
	a := s.AngleQ6 & 0x7FFF
	return append(dst, b0, byte(a<<1)|1, byte(a>>7), byte(s.DistQ2), byte(s.DistQ2>>8))
}

// DeviceInfo is the GET_INFO answer.
type DeviceInfo struct {
	Model         byte
	FirmwareMajor byte
	FirmwareMinor byte
	Hardware      byte
	Serial        [16]byte
}

// ModelName guesses the family from the model byte (upper nibble 1 = A1,
// 2 = A2, 3 = A3 as Slamtec's SDK reports them).
func (i DeviceInfo) ModelName() string {
	switch i.Model >> 4 {
	case 1:
		return "RPLIDAR A1"
	case 2:
		return "RPLIDAR A2"
	case 3:
		return "RPLIDAR A3"
	}
	return fmt.Sprintf("RPLIDAR model 0x%02x", i.Model)
}

// SerialHex is the serial number as the SDK prints it.
func (i DeviceInfo) SerialHex() string { return fmt.Sprintf("%X", i.Serial[:]) }

func parseInfo(b []byte) (DeviceInfo, error) {
	if len(b) < infoLen {
		return DeviceInfo{}, fmt.Errorf("%w: info of %d bytes", ErrShort, len(b))
	}
	in := DeviceInfo{Model: b[0], FirmwareMinor: b[1], FirmwareMajor: b[2], Hardware: b[3]}
	copy(in.Serial[:], b[4:20])
	return in, nil
}

// HealthStatus is the device's self-assessment.
type HealthStatus uint8

// Health states.
const (
	HealthGood    HealthStatus = 0
	HealthWarning HealthStatus = 1
	HealthBad     HealthStatus = 2
)

func (h HealthStatus) String() string {
	switch h {
	case HealthGood:
		return "good"
	case HealthWarning:
		return "warning"
	case HealthBad:
		return "error"
	}
	return fmt.Sprintf("HealthStatus(%d)", uint8(h))
}

// Health is the GET_HEALTH answer.
type Health struct {
	Status    HealthStatus
	ErrorCode uint16
}

func parseHealth(b []byte) (Health, error) {
	if len(b) < healthLen {
		return Health{}, fmt.Errorf("%w: health of %d bytes", ErrShort, len(b))
	}
	return Health{Status: HealthStatus(b[0]), ErrorCode: uint16(b[1]) | uint16(b[2])<<8}, nil
}

// HealthError is returned when the device reports an error state; it
// needs a RESET.
type HealthError struct{ Health Health }

func (e *HealthError) Error() string {
	return fmt.Sprintf("rplidar: device health %v, error code 0x%04x", e.Health.Status, e.Health.ErrorCode)
}
