package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Magic numbers of the global header.
const (
	MagicMicro = 0xA1B2C3D4
	MagicNano  = 0xA1B23C4D
)

// Link types (LINKTYPE_ values).
const (
	LinkEthernet = 1
	LinkRaw      = 101
	LinkLinuxSLL = 113
	LinkIPv4     = 228
)

// MaxSnapLen bounds a record's captured length (libpcap's own maximum).
const MaxSnapLen = 262144

const (
	globalHeaderLen = 24
	recordHeaderLen = 16
)

// Errors callers act on.
var (
	// ErrNotPcap: the file does not start with a pcap magic number.
	ErrNotPcap = errors.New("pcap: not a classic pcap file")
	// ErrCorrupt: a record header is impossible; the rest of the file
	// cannot be framed.
	ErrCorrupt = errors.New("pcap: corrupt record")
	// ErrTruncated: the file ends inside a record (a capture cut short).
	ErrTruncated = errors.New("pcap: truncated record")
)

// Header is the global header of a capture.
type Header struct {
	ByteOrder    binary.ByteOrder
	Nano         bool // sub-second field is nanoseconds, else microseconds
	VersionMajor uint16
	VersionMinor uint16
	SnapLen      uint32
	LinkType     uint32
}

// Record is one captured packet. Data is valid until the next call to
// Reader.Next.
type Record struct {
	Time    time.Time
	OrigLen int // length on the wire
	Data    []byte
}

// Truncated reports whether the capture holds fewer bytes than the wire.
func (r *Record) Truncated() bool { return len(r.Data) < r.OrigLen }

// Reader reads records from a capture. It reuses one buffer, so reading
// allocates nothing per record once the buffer has grown.
type Reader struct {
	r   io.Reader
	hdr Header
	rec [recordHeaderLen]byte
	buf []byte
	n   int // records read
}

// NewReader reads the global header.
func NewReader(r io.Reader) (*Reader, error) {
	var g [globalHeaderLen]byte
	if _, err := io.ReadFull(r, g[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %d-byte global header cut short", ErrNotPcap, globalHeaderLen)
		}
		return nil, fmt.Errorf("pcap: %w", err)
	}
	h, err := ParseHeader(g[:])
	if err != nil {
		return nil, err
	}
	return &Reader{r: r, hdr: h}, nil
}

// ParseHeader parses a 24-byte global header.
func ParseHeader(g []byte) (Header, error) {
	if len(g) < globalHeaderLen {
		return Header{}, fmt.Errorf("%w: %d-byte header", ErrNotPcap, len(g))
	}
	var h Header
	switch {
	case binary.LittleEndian.Uint32(g) == MagicMicro:
		h.ByteOrder = binary.LittleEndian
	case binary.LittleEndian.Uint32(g) == MagicNano:
		h.ByteOrder, h.Nano = binary.LittleEndian, true
	case binary.BigEndian.Uint32(g) == MagicMicro:
		h.ByteOrder = binary.BigEndian
	case binary.BigEndian.Uint32(g) == MagicNano:
		h.ByteOrder, h.Nano = binary.BigEndian, true
	default:
		return Header{}, fmt.Errorf("%w: magic % x", ErrNotPcap, g[:4])
	}
	bo := h.ByteOrder
	h.VersionMajor, h.VersionMinor = bo.Uint16(g[4:]), bo.Uint16(g[6:])
	h.SnapLen, h.LinkType = bo.Uint32(g[16:]), bo.Uint32(g[20:])&0x0FFFFFFF
	if h.VersionMajor != 2 {
		return Header{}, fmt.Errorf("%w: version %d.%d", ErrNotPcap, h.VersionMajor, h.VersionMinor)
	}
	return h, nil
}

// Header returns the global header.
func (r *Reader) Header() Header { return r.hdr }

// Next returns the next record, io.EOF at the clean end of the file,
// ErrTruncated (wrapped) when the file ends inside a record and ErrCorrupt
// (wrapped) when a record header cannot be right.
func (r *Reader) Next() (Record, error) {
	n, err := io.ReadFull(r.r, r.rec[:])
	if err != nil {
		if errors.Is(err, io.EOF) && n == 0 {
			return Record{}, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Record{}, fmt.Errorf("%w: record %d header", ErrTruncated, r.n)
		}
		return Record{}, fmt.Errorf("pcap: %w", err)
	}
	bo := r.hdr.ByteOrder
	sec, sub := bo.Uint32(r.rec[0:]), bo.Uint32(r.rec[4:])
	capLen, origLen := bo.Uint32(r.rec[8:]), bo.Uint32(r.rec[12:])
	if capLen > MaxSnapLen {
		return Record{}, fmt.Errorf("%w: record %d captured length %d", ErrCorrupt, r.n, capLen)
	}
	ns := int64(sub)
	if !r.hdr.Nano {
		ns *= 1000
	}
	if ns >= 1e9 {
		return Record{}, fmt.Errorf("%w: record %d sub-second field %d", ErrCorrupt, r.n, sub)
	}
	if cap(r.buf) < int(capLen) {
		r.buf = make([]byte, capLen, max(capLen, 2048))
	}
	r.buf = r.buf[:capLen]
	if _, err := io.ReadFull(r.r, r.buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Record{}, fmt.Errorf("%w: record %d data", ErrTruncated, r.n)
		}
		return Record{}, fmt.Errorf("pcap: %w", err)
	}
	r.n++
	orig := int(min(origLen, 1<<30))
	return Record{Time: time.Unix(int64(sec), ns).UTC(), OrigLen: max(orig, int(capLen)), Data: r.buf}, nil
}
