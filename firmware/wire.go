package firmware

import (
	"encoding/binary"
	"fmt"
)

// reader decodes little-endian fields from untrusted bytes. The first
// failure sticks: later reads return zero values and err keeps the cause, so
// decoders read a whole structure and check once.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) left() int { return len(r.b) - r.off }

// take returns the next n bytes without copying. n is a uint64 so that a
// 32-bit length read from the wire can never overflow int on 32-bit arm.
func (r *reader) take(n uint64, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(r.left()) {
		r.err = fmt.Errorf("firmware: %s at offset %d needs %d bytes, %d left: %w", what, r.off, n, r.left(), ErrTruncated)
		return nil
	}
	p := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return p
}

func (r *reader) u8(what string) uint8 {
	p := r.take(1, what)
	if p == nil {
		return 0
	}
	return p[0]
}

func (r *reader) u16(what string) uint16 {
	p := r.take(2, what)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(p)
}

func (r *reader) u32(what string) uint32 {
	p := r.take(4, what)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(p)
}

func (r *reader) u64(what string) uint64 {
	p := r.take(8, what)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

// str reads a string of n bytes (a copy).
func (r *reader) str(n uint64, what string) string {
	return string(r.take(n, what))
}

// fail records a malformed-input error unless one is already recorded.
func (r *reader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("firmware: "+format+": %w", append(a, ErrMalformed)...)
	}
}

// done reports trailing bytes as malformed input.
func (r *reader) done(what string) error {
	if r.err == nil && r.left() != 0 {
		r.fail("%d unexpected bytes after %s", r.left(), what)
	}
	return r.err
}

// appendU16, appendU32 and appendU64 are the writer side: little-endian,
// independent of the host byte order.
func appendU16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
