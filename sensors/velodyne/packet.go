package velodyne

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Payload layout constants (VLP-16 manual §9.3).
const (
	PayloadSize   = 1206 // bytes of one data packet's UDP payload
	Blocks        = 12   // data blocks per packet
	BlockSize     = 100  // bytes per block
	Channels      = 32   // channel records per block: two firings of 16 lasers
	blockFlag     = 0xEEFF
	ProductVLP16  = 0x22 // product byte of the VLP-16
	DistanceUnitM = 0.002
	// DataPort and PositionPort are the VLP-16's default UDP ports.
	DataPort     = 2368
	PositionPort = 8308
)

// ReturnMode is the return-mode byte of a data packet.
type ReturnMode uint8

// Return modes.
const (
	Strongest ReturnMode = 0x37
	Last      ReturnMode = 0x38
	Dual      ReturnMode = 0x39
)

func (m ReturnMode) String() string {
	switch m {
	case Strongest:
		return "strongest"
	case Last:
		return "last"
	case Dual:
		return "dual"
	}
	return fmt.Sprintf("ReturnMode(%#x)", uint8(m))
}

// Errors for payloads the decoder rejects; callers count them as malformed.
var (
	ErrSize    = errors.New("velodyne: payload is not 1206 bytes")
	ErrFlag    = errors.New("velodyne: block flag is not 0xFFEE")
	ErrMode    = errors.New("velodyne: unknown return mode")
	ErrProduct = errors.New("velodyne: not a VLP-16 payload")
	ErrAzimuth = errors.New("velodyne: azimuth beyond 359.99°")
)

// Channel is one laser measurement as the payload carries it.
type Channel struct {
	Distance     uint16 // 2 mm units; 0 means no return
	Reflectivity uint8  // calibrated reflectivity 0–255
}

// Block is one data block: the azimuth of its first firing and 32 channels
// (channels 16–31 are the second firing of lasers 0–15).
type Block struct {
	Azimuth  uint16 // hundredths of a degree, 0–35999
	Channels [Channels]Channel
}

// Packet is a decoded data payload. It is a plain value: decoding into the
// same Packet again allocates nothing.
type Packet struct {
	Blocks    [Blocks]Block
	Timestamp uint32 // µs past the top of the hour, of the first firing
	Mode      ReturnMode
	Product   uint8
}

// Decode parses a 1,206-byte payload into p. It checks the length, every
// block flag, the azimuths, the return mode and the product byte; on error p
// is left partly written and must not be used.
func (p *Packet) Decode(b []byte) error {
	if len(b) != PayloadSize {
		return fmt.Errorf("%w: %d bytes", ErrSize, len(b))
	}
	p.Mode = ReturnMode(b[1204])
	p.Product = b[1205]
	if p.Mode != Strongest && p.Mode != Last && p.Mode != Dual {
		return fmt.Errorf("%w %#x", ErrMode, b[1204])
	}
	if p.Product != ProductVLP16 {
		return fmt.Errorf("%w: product byte %#x", ErrProduct, b[1205])
	}
	p.Timestamp = binary.LittleEndian.Uint32(b[1200:])
	for i := range p.Blocks {
		blk := b[i*BlockSize : (i+1)*BlockSize]
		if binary.LittleEndian.Uint16(blk) != blockFlag {
			return fmt.Errorf("%w: block %d", ErrFlag, i)
		}
		out := &p.Blocks[i]
		out.Azimuth = binary.LittleEndian.Uint16(blk[2:])
		if out.Azimuth >= 36000 {
			return fmt.Errorf("%w: block %d azimuth %d", ErrAzimuth, i, out.Azimuth)
		}
		ch := blk[4:]
		for c := range out.Channels {
			out.Channels[c] = Channel{
				Distance:     uint16(ch[3*c]) | uint16(ch[3*c+1])<<8,
				Reflectivity: ch[3*c+2],
			}
		}
	}
	return nil
}
