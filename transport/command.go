package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// Command names, the last level of <prefix>/cmd/<name>.
const (
	CommandRecalibrate = "recalibrate"
	CommandLogLevel    = "loglevel"
	CommandModel       = "model" // handled by the firmware/model-update code
	CommandRelearnHost = "relearn-host"
)

// MaxCommandBytes bounds a command payload; larger ones are refused unread.
const MaxCommandBytes = 64 << 10

// Recalibrate asks the agent to recompute a sensor's threshold from the
// last Minutes minutes of data it judged clean.
type Recalibrate struct {
	ID      string `json:"id,omitempty"` // echoed in the reply
	Sensor  string `json:"sensor"`
	Minutes int    `json:"minutes"` // 1 .. 1440
}

// Validate checks the fields.
func (c *Recalibrate) Validate() error {
	if err := CheckName(c.Sensor); err != nil {
		return fmt.Errorf("recalibrate: sensor: %w", err)
	}
	if c.Minutes < 1 || c.Minutes > 1440 {
		return fmt.Errorf("recalibrate: minutes %d out of range 1..1440", c.Minutes)
	}
	return checkID(c.ID)
}

// LogLevel asks the agent to change its log level.
type LogLevel struct {
	ID    string `json:"id,omitempty"`
	Level string `json:"level"` // trace, debug, info, warn, error
}

// Validate checks the fields.
func (c *LogLevel) Validate() error {
	switch c.Level {
	case "trace", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("loglevel: level %q: want trace, debug, info, warn or error", c.Level)
	}
	return checkID(c.ID)
}

// RelearnHost asks the agent to forget its host model and the healthy
// samples it was learnt from, and to learn again (a new board, a new
// workload, a machine whose normal changed).
type RelearnHost struct {
	ID string `json:"id,omitempty"`
}

// Validate checks the fields.
func (c *RelearnHost) Validate() error { return checkID(c.ID) }

// Reply answers a command on <prefix>/cmd/<name>/reply (QoS 1, not retained).
type Reply struct {
	Schema  int             `json:"schema"`
	Robot   string          `json:"robot"`
	Command string          `json:"command"`
	ID      string          `json:"id,omitempty"`
	OK      bool            `json:"ok"`
	Error   string          `json:"error,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"` // command-specific
	Time    time.Time       `json:"time"`
}

// ReplyMessage fills r's derived fields and returns its message.
func (t Topics) ReplyMessage(r *Reply) (Message, error) {
	r.Schema = SchemaVersion
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r.Time = r.Time.UTC()
	b, err := json.Marshal(r)
	if err != nil {
		return Message{}, fmt.Errorf("transport: reply %s: %w", r.Command, err)
	}
	return Message{Topic: t.Reply(r.Command), Payload: b, QoS: 1, Kind: KindReply}, nil
}

// ErrBadCommand is wrapped by DecodeStrict's errors: the payload is not a
// valid command. Replies carry its text.
var ErrBadCommand = errors.New("bad command")

// DecodeStrict decodes one JSON object from data into v, refusing unknown
// fields, trailing data, payloads over MaxCommandBytes and payloads that
// are not valid UTF-8 (which JSON requires; the standard decoder would
// quietly replace the bad bytes). If v has a Validate() error method, it
// is called too.
func DecodeStrict(data []byte, v any) error {
	if len(data) > MaxCommandBytes {
		return fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrBadCommand, len(data), MaxCommandBytes)
	}
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: payload is not valid UTF-8", ErrBadCommand)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrBadCommand, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrBadCommand)
	}
	if val, ok := v.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrBadCommand, err)
		}
	}
	return nil
}

func checkID(id string) error {
	if len(id) > 128 {
		return fmt.Errorf("id longer than 128 bytes")
	}
	return nil
}
