package health

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// Binary layout (little endian), version 1:
//
//	"TAHE" u16 version
//	u16 d
//	u8 len, ID bytes (≤ 128)
//	d × (u8 len, name bytes) (1..64 each)
//	d × f64 mean, d × f64 std
//	4 layers (shapes implied by d): Out·In × f64 weights, Out × f64 biases
//	f64 warn, f64 error
//	u32 CRC-32 (IEEE) of everything before it
//
// Float weights are stored; the fixed-point network is rebuilt
// deterministically on load.
const (
	magic      = "TAHE"
	version    = 1
	maxNameLen = 64
	maxIDLen   = 128
)

// MarshalBinary implements encoding.BinaryMarshaler.
func (m *Model) MarshalBinary() ([]byte, error) {
	if len(m.ID) > maxIDLen {
		return nil, fmt.Errorf("%w: id longer than %d bytes", ErrModel, maxIDLen)
	}
	var b bytes.Buffer
	b.WriteString(magic)
	le := binary.LittleEndian
	b.Write(le.AppendUint16(nil, version))
	b.Write(le.AppendUint16(nil, uint16(m.D())))
	b.WriteByte(byte(len(m.ID)))
	b.WriteString(m.ID)
	for _, n := range m.Names {
		if len(n) == 0 || len(n) > maxNameLen {
			return nil, fmt.Errorf("%w: feature name %q", ErrModel, n)
		}
		b.WriteByte(byte(len(n)))
		b.WriteString(n)
	}
	f := func(vs ...float64) {
		for _, v := range vs {
			b.Write(le.AppendUint64(nil, math.Float64bits(v)))
		}
	}
	f(m.Mean...)
	f(m.Std...)
	for _, l := range m.layers {
		f(l.W...)
		f(l.B...)
	}
	f(m.Warn, m.Error)
	b.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(b.Bytes())))
	return b.Bytes(), nil
}

// UnmarshalModel parses a model written by MarshalBinary. Malformed input
// returns an error wrapping ErrModel, never a panic.
func UnmarshalModel(data []byte) (*Model, error) {
	if len(data) < len(magic)+2+2+1+4 {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrModel, len(data))
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if string(body[:4]) != magic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrModel, body[:4])
	}
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrModel)
	}
	r := bytes.NewReader(body[4:])
	le := binary.LittleEndian
	var ver, d uint16
	if err := binary.Read(r, le, &ver); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	if ver != version {
		return nil, fmt.Errorf("%w: version %d, this build reads %d", ErrModel, ver, version)
	}
	if err := binary.Read(r, le, &d); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	if d < 1 || d > MaxFeatures {
		return nil, fmt.Errorf("%w: %d features", ErrModel, d)
	}
	str := func(maxLen int) (string, error) {
		n, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		if int(n) > maxLen {
			return "", fmt.Errorf("string of %d bytes", n)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf), nil
	}
	m := &Model{}
	var err error
	if m.ID, err = str(maxIDLen); err != nil {
		return nil, fmt.Errorf("%w: id: %w", ErrModel, err)
	}
	m.Names = make([]string, d)
	for i := range m.Names {
		if m.Names[i], err = str(maxNameLen); err != nil || m.Names[i] == "" {
			return nil, fmt.Errorf("%w: feature name %d: %v", ErrModel, i, err)
		}
	}
	// Bound the float payload before allocating it.
	layers := newLayers(int(d))
	need := 2 * int(d)
	for _, l := range layers {
		need += len(l.W) + len(l.B)
	}
	need += 2
	if r.Len() != need*8 {
		return nil, fmt.Errorf("%w: %d bytes of values, want %d", ErrModel, r.Len(), need*8)
	}
	vals := make([]float64, need)
	for i := range vals {
		var u uint64
		_ = binary.Read(r, le, &u) // length checked above
		vals[i] = math.Float64frombits(u)
	}
	take := func(n int) []float64 {
		v := vals[:n:n]
		vals = vals[n:]
		return v
	}
	m.Mean, m.Std = take(int(d)), take(int(d))
	for i := range layers {
		layers[i].W = take(len(layers[i].W))
		layers[i].B = take(len(layers[i].B))
	}
	m.layers = layers
	m.Warn, m.Error = vals[0], vals[1]
	if err := m.finish(); err != nil {
		return nil, err
	}
	return m, nil
}
