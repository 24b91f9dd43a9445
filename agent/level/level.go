package level

import (
	"encoding/json"
	"fmt"
)

// Level is a trust level. The numbering matches ROS
// diagnostic_msgs/DiagnosticStatus (OK=0, WARN=1, ERROR=2, STALE=3), so a
// bridge can copy it unchanged. Severity order for "worst of" is
// OK < WARN < ERROR, with STALE handled apart: STALE means no data, never a
// model verdict.
type Level uint8

// Levels.
const (
	OK Level = iota
	Warn
	Error
	Stale
)

var names = [...]string{"OK", "WARN", "ERROR", "STALE"}

func (l Level) String() string {
	if int(l) < len(names) {
		return names[l]
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// Parse is the inverse of String.
func Parse(s string) (Level, error) {
	for i, n := range names {
		if n == s {
			return Level(i), nil
		}
	}
	return OK, fmt.Errorf("level: unknown level %q", s)
}

// MarshalText implements encoding.TextMarshaler (JSON strings "OK", ...).
func (l Level) MarshalText() ([]byte, error) {
	if int(l) >= len(names) {
		return nil, fmt.Errorf("level: invalid level %d", uint8(l))
	}
	return []byte(names[l]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

var _ json.Marshaler = Reason{} // Reason marshals with its own method below.

// Worse returns the more severe of a and b, with STALE above ERROR.
func Worse(a, b Level) Level {
	if a > b {
		return a
	}
	return b
}

// Reason is one machine-readable cause of a level: a stable code (see the
// Code constants), the feature or check it concerns and the value seen.
type Reason struct {
	Code    Code    `json:"code"`
	Feature string  `json:"feature,omitempty"`
	Value   float64 `json:"value"`
	Level   Level   `json:"level"`
}

// MarshalJSON writes non-finite values as 0 so that payloads stay valid JSON.
func (r Reason) MarshalJSON() ([]byte, error) {
	type plain Reason
	p := plain(r)
	if p.Value != p.Value || p.Value > 1e308 || p.Value < -1e308 {
		p.Value = 0
	}
	return json.Marshal(p)
}

func (r Reason) String() string {
	if r.Feature != "" {
		return fmt.Sprintf("%s(%s=%.4g)", r.Code, r.Feature, r.Value)
	}
	return fmt.Sprintf("%s(%.4g)", r.Code, r.Value)
}

// Code is a stable, machine-readable reason code. Codes are part of the
// published payload: never rename one, only add.
type Code string

// Reason codes. The groups say which fusion cause a code points at.
const (
	// Stream timing (cause "stream").
	NoEvents     Code = "NO_EVENTS"      // no frame in the frequency window
	RateLow      Code = "RATE_LOW"       // frequency below min·(1−tol)
	RateHigh     Code = "RATE_HIGH"      // frequency above max·(1+tol)
	StampZero    Code = "STAMP_ZERO"     // a frame with a zero stamp
	StampEarly   Code = "STAMP_EARLY"    // receive−stamp below the minimum delay (stamp in the future)
	StampLate    Code = "STAMP_LATE"     // receive−stamp above the maximum delay
	NoDataUpdate Code = "NO_DATA_UPDATE" // no frame since the last 1 Hz update
	OutOfOrder   Code = "OUT_OF_ORDER"   // a stamp or sequence number went backwards
	ClockJump    Code = "CLOCK_JUMP"     // stamps jumped against the receive clock
	SeqGap       Code = "SEQ_GAP"        // sequence numbers skipped (frames lost upstream)
	NoData       Code = "NO_DATA"        // STALE: nothing within the stale timeout
	QueueDrops   Code = "QUEUE_DROPS"    // the agent dropped frames it could not process in time

	// Frame content (cause "sensor" or "environment").
	ScoreHigh   Code = "SCORE_HIGH"   // frame score above its calibrated threshold
	Frozen      Code = "FROZEN"       // frame byte-identical to the previous one
	HealthWarn  Code = "HEALTH_WARN"  // health autoencoder error above its 99th percentile
	HealthError Code = "HEALTH_ERROR" // health autoencoder error above its 99.9th percentile
	ScorerError Code = "SCORER_ERROR" // the scorer failed on this frame

	// Host (cause "host").
	HostWarn  Code = "HOST_WARN"
	HostError Code = "HOST_ERROR"

	// Informational: never raise the level on their own.
	Decimated Code = "SCORING_DECIMATED" // only every Value-th frame is scored
)

// Group is the family a code belongs to.
type Group uint8

// Groups of codes.
const (
	GroupInfo Group = iota
	GroupStream
	GroupContent
	GroupHost
)

// Group returns the family of the code.
func (c Code) Group() Group {
	switch c {
	case NoEvents, RateLow, RateHigh, StampZero, StampEarly, StampLate, NoDataUpdate,
		OutOfOrder, ClockJump, SeqGap, NoData, QueueDrops:
		return GroupStream
	case ScoreHigh, Frozen, HealthWarn, HealthError, ScorerError:
		return GroupContent
	case HostWarn, HostError:
		return GroupHost
	}
	return GroupInfo
}
