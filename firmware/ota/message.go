package ota

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Message kinds on <prefix>/cmd/model.
const (
	KindChunk  uint8 = 1 // Data is bundle bytes starting at Offset
	KindCommit uint8 = 2 // Data is the SHA-256 of the whole bundle, then an 8-byte nonce
	KindQuery  uint8 = 3 // Data is an 8-byte nonce; the receiver answers with its status
	KindAbort  uint8 = 4 // drop the partial transfer; Data is empty
)

// ProtocolVersion is the version byte of every command message.
const ProtocolVersion = 1

const (
	messageMagic  = "TAOT"
	messageHeader = 24
	nonceSize     = 8
)

// ErrMalformed marks a command message or status that does not parse.
var ErrMalformed = errors.New("ota: malformed message")

// TransferID names one bundle in transit: the first 8 bytes of the SHA-256
// of the whole bundle file. The same bundle always gets the same id, so a
// sender that restarts resumes where the receiver stopped.
type TransferID [8]byte

func (id TransferID) String() string { return hex.EncodeToString(id[:]) }

// IDOf returns the transfer id of a bundle.
func IDOf(bundle []byte) TransferID {
	d := sha256.Sum256(bundle)
	var id TransferID
	copy(id[:], d[:])
	return id
}

// Message is one command message on <prefix>/cmd/model.
//
//	offset size field (integers little-endian)
//	0      4    magic "TAOT"
//	4      1    protocol version, 1
//	5      1    kind: 1 chunk, 2 commit, 3 query, 4 abort
//	6      2    reserved, 0
//	8      8    transfer id
//	16     4    total bundle size in bytes
//	20     4    offset of Data in the bundle (chunk); 0 otherwise
//	24     ...  data: chunk bytes | 32-byte SHA-256 + 8-byte nonce (commit) |
//	            8-byte nonce (query) | empty (abort)
type Message struct {
	Kind     uint8
	Transfer TransferID
	Size     uint32
	Offset   uint32
	Data     []byte
}

// MarshalBinary encodes the message.
func (m *Message) MarshalBinary() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, messageHeader+len(m.Data))
	b = append(b, messageMagic...)
	b = append(b, ProtocolVersion, m.Kind, 0, 0)
	b = append(b, m.Transfer[:]...)
	b = binary.LittleEndian.AppendUint32(b, m.Size)
	b = binary.LittleEndian.AppendUint32(b, m.Offset)
	return append(b, m.Data...), nil
}

func (m *Message) check() error {
	switch m.Kind {
	case KindChunk:
		if len(m.Data) == 0 || uint64(m.Offset)+uint64(len(m.Data)) > uint64(m.Size) {
			return fmt.Errorf("ota: chunk [%d, +%d) outside a bundle of %d bytes: %w", m.Offset, len(m.Data), m.Size, ErrMalformed)
		}
	case KindCommit:
		if len(m.Data) != sha256.Size+nonceSize || m.Offset != 0 {
			return fmt.Errorf("ota: commit needs a 32-byte digest and an 8-byte nonce: %w", ErrMalformed)
		}
	case KindQuery:
		if len(m.Data) != nonceSize || m.Offset != 0 {
			return fmt.Errorf("ota: query needs an 8-byte nonce: %w", ErrMalformed)
		}
	case KindAbort:
		if len(m.Data) != 0 || m.Offset != 0 {
			return fmt.Errorf("ota: abort carries no data: %w", ErrMalformed)
		}
	default:
		return fmt.Errorf("ota: unknown message kind %d: %w", m.Kind, ErrMalformed)
	}
	return nil
}

// Nonce returns the nonce of a query or commit ("" otherwise).
func (m *Message) Nonce() string {
	switch m.Kind {
	case KindQuery:
		return hex.EncodeToString(m.Data)
	case KindCommit:
		return hex.EncodeToString(m.Data[sha256.Size:])
	}
	return ""
}

// ParseMessage decodes a command message. Data aliases p.
func ParseMessage(p []byte) (*Message, error) {
	if len(p) < messageHeader {
		return nil, fmt.Errorf("ota: message of %d bytes, header needs %d: %w", len(p), messageHeader, ErrMalformed)
	}
	if string(p[:4]) != messageMagic {
		return nil, fmt.Errorf("ota: bad magic %q: %w", p[:4], ErrMalformed)
	}
	if p[4] != ProtocolVersion {
		return nil, fmt.Errorf("ota: protocol version %d, want %d: %w", p[4], ProtocolVersion, ErrMalformed)
	}
	if p[6] != 0 || p[7] != 0 {
		return nil, fmt.Errorf("ota: reserved bytes set: %w", ErrMalformed)
	}
	m := &Message{Kind: p[5], Size: binary.LittleEndian.Uint32(p[16:]), Offset: binary.LittleEndian.Uint32(p[20:]), Data: p[messageHeader:]}
	copy(m.Transfer[:], p[8:16])
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// Transfer states in Status.State.
const (
	StateIdle      = "idle"      // no transfer in progress
	StateReceiving = "receiving" // chunks arriving; NextOffset says what comes next
	StateVerifying = "verifying" // complete; checking digest, signatures, version, sensor, self-test
	StateInstalled = "installed" // the bundle is the active model
	StateRejected  = "rejected"  // the bundle was refused; Code and Error say why
	StateFailed    = "failed"    // the device could not store it (I/O, disk full); the old model runs
)

// Status is the JSON payload on <prefix>/model/status, published retained
// after every command message.
type Status struct {
	Schema     int          `json:"schema"`             // 1
	State      string       `json:"state"`              // one of the State constants
	Transfer   string       `json:"transfer,omitempty"` // transfer id (hex) the status is about
	Size       uint32       `json:"size,omitempty"`     // bundle size in bytes
	NextOffset uint32       `json:"next_offset"`        // next byte the receiver expects
	ReplyTo    string       `json:"reply_to,omitempty"` // nonce of the query or commit answered
	Code       string       `json:"code,omitempty"`     // firmware.Code of the failure, or "digest_mismatch", "too_large", "protocol"
	Error      string       `json:"error,omitempty"`    // human-readable failure
	Active     *ActiveModel `json:"active,omitempty"`   // the model running now
	Time       time.Time    `json:"time"`               // when published (RFC 3339, ns)
}

// ActiveModel identifies the running model.
type ActiveModel struct {
	ModelID string `json:"model_id"`
	Version uint64 `json:"version"`
	Slot    string `json:"slot"`
	Sensor  string `json:"sensor"` // the bundle's kind: lidar, camera, range, or host (the host model)
}

// ParseStatus decodes a status payload.
func ParseStatus(p []byte) (*Status, error) {
	var s Status
	if err := json.Unmarshal(p, &s); err != nil {
		return nil, fmt.Errorf("ota: status: %w: %w", ErrMalformed, err)
	}
	if s.Schema != 1 {
		return nil, fmt.Errorf("ota: status schema %d: %w", s.Schema, ErrMalformed)
	}
	return &s, nil
}
