package outbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/sensortrust/trustagent/transport"
)

const (
	recordMagic   = "TAOB"
	recordVersion = 1
	recordHeader  = 4 + 4 + 2 // magic, version..retained, topic length
	maxTopicLen   = 65535
	maxPayloadLen = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by errors about unreadable message files.
var ErrCorrupt = errors.New("outbox: corrupt message file")

// encodeRecord serialises m in the file format of the package doc, with no
// sequence counters.
func encodeRecord(m transport.Message) ([]byte, error) {
	if len(m.Topic) > maxTopicLen {
		return nil, fmt.Errorf("outbox: topic of %d bytes too long", len(m.Topic))
	}
	if len(m.Payload) > maxPayloadLen {
		return nil, fmt.Errorf("outbox: payload of %d bytes too long", len(m.Payload))
	}
	b := make([]byte, 0, recordHeader+len(m.Topic)+4+len(m.Payload)+4)
	b = append(b, recordMagic...)
	ret := byte(0)
	if m.Retained {
		ret = 1
	}
	b = append(b, recordVersion, byte(m.Kind), m.QoS, ret)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(m.Topic)))
	b = append(b, m.Topic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.Payload)))
	b = append(b, m.Payload...)
	b = binary.LittleEndian.AppendUint16(b, 0) // no sequence counters
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return b, nil
}

// decodeRecord parses a message file; the sequence counters that earlier
// versions wrote are checked and ignored. It never panics on bad input.
func decodeRecord(b []byte) (transport.Message, error) {
	var m transport.Message
	if len(b) < recordHeader+4+4 {
		return m, fmt.Errorf("%w: %d bytes is too short", ErrCorrupt, len(b))
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return m, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	if string(body[:4]) != recordMagic {
		return m, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	if body[4] != recordVersion {
		return m, fmt.Errorf("%w: version %d not supported", ErrCorrupt, body[4])
	}
	m.Kind, m.QoS, m.Retained = transport.Kind(body[5]), body[6], body[7] == 1
	if m.QoS > 2 || body[7] > 1 {
		return m, fmt.Errorf("%w: bad flags", ErrCorrupt)
	}
	rest := body[8:]
	n := int(binary.LittleEndian.Uint16(rest))
	rest = rest[2:]
	if n == 0 || len(rest) < n+4 {
		return m, fmt.Errorf("%w: topic length %d", ErrCorrupt, n)
	}
	m.Topic, rest = string(rest[:n]), rest[n:]
	p32 := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(p32)+2 > uint64(len(rest)) { // compared in 64 bits: int is 32 bits on arm
		return m, fmt.Errorf("%w: payload length %d, %d bytes left", ErrCorrupt, p32, len(rest))
	}
	p := int(p32)
	m.Payload, rest = append([]byte(nil), rest[:p]...), rest[p:]
	n = int(binary.LittleEndian.Uint16(rest))
	rest = rest[2:]
	prev := ""
	for range n {
		if len(rest) < 1 || len(rest) < 1+int(rest[0])+8 || rest[0] == 0 {
			return m, fmt.Errorf("%w: truncated sequence snapshot", ErrCorrupt)
		}
		k := string(rest[1 : 1+int(rest[0])])
		if k <= prev {
			return m, fmt.Errorf("%w: sequence keys out of order", ErrCorrupt)
		}
		prev = k
		rest = rest[1+len(k)+8:]
	}
	if len(rest) != 0 {
		return m, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(rest))
	}
	return m, nil
}
