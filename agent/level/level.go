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

// Code is a stable, machine-readable reason code (lower snake case, as on
// the wire). Codes are part of the
// published payload: never rename one, only add.
type Code string

// Reason codes. The groups say which fusion cause a code points at.
const (
	// Stream timing (cause "stream").
	NoEvents     Code = "no_events"            // no frame in the frequency window
	RateLow      Code = "rate_low"             // frequency below min·(1−tol)
	RateHigh     Code = "rate_high"            // frequency above max·(1+tol)
	StampZero    Code = "stamp_zero"           // a frame with a zero stamp
	StampEarly   Code = "stamp_early"          // receive−stamp below the minimum delay (stamp in the future)
	StampLate    Code = "stamp_late"           // receive−stamp above the maximum delay
	NoDataUpdate Code = "no_data_since_update" // no frame since the last 1 Hz update
	OutOfOrder   Code = "out_of_order"         // a stamp or sequence number went backwards
	ClockJump    Code = "clock_jump"           // stamps jumped against the receive clock
	SeqGap       Code = "seq_gap"              // sequence numbers skipped (frames lost upstream)
	StaleCode    Code = "stale"                // STALE: nothing within the stale timeout
	NotJudged    Code = "not_judged"           // STALE: no frame of the sensor judged yet (the agent just started)
	Stopping     Code = "agent_stopping"       // STALE: the agent is stopping and judges no more frames
	QueueDrops   Code = "queue_drops"          // the agent dropped frames it could not process in time

	// Frame content (cause "sensor" or "environment").
	ScoreHigh   Code = "score_high"    // frame score above its calibrated threshold
	ScoreRise   Code = "score_rise"    // frame score risen at once above the stream's recent level
	Frozen      Code = "frozen"        // frame byte-identical to the previous one
	OffCone     Code = "off_cone"      // LiDAR returns off their laser's elevation cone
	Torn        Code = "torn_rows"     // camera rows replaying an older frame's, spliced into a new frame
	Holes       Code = "surface_holes" // LiDAR firings missed inside continuous surfaces (dropout)
	DarkRing    Code = "dark_ring"     // LiDAR laser without a return between two lit ones
	Blank       Code = "blank_frame"   // camera frame of one pixel value, or a stream showing such frames lately
	LensDirt    Code = "lens_dirt"     // camera: a dark blob that appeared on the lens at once and stays
	Veil        Code = "veil"          // camera: light laid over the whole view at once (glare, washed out, low contrast)
	HealthWarn  Code = "health_warn"   // health autoencoder error above its 99th percentile
	HealthError Code = "health_error"  // health autoencoder error above its 99.9th percentile
	ScorerError Code = "scorer_error"  // the scorer failed on this frame

	// Host (cause "host").
	HostWarn  Code = "host_warn"
	HostError Code = "host_error"

	// Informational: never raise the level on their own.
	Decimated Code = "scoring_decimated" // only every Value-th frame is scored
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
		OutOfOrder, ClockJump, SeqGap, StaleCode, NotJudged, Stopping, QueueDrops:
		return GroupStream
	case ScoreHigh, ScoreRise, Frozen, OffCone, Torn, Holes, DarkRing, Blank, LensDirt, Veil, HealthWarn, HealthError, ScorerError:
		return GroupContent
	case HostWarn, HostError:
		return GroupHost
	}
	return GroupInfo
}

// Cause says why a sensor or the robot is not OK. The values are those of
// the published payload.
type Cause string

// Causes.
const (
	CauseNone        Cause = ""
	CauseEnvironment Cause = "environment" // LiDAR and camera degrade together (weather, dust, glare)
	CauseSensor      Cause = "sensor"      // one sensor's content looks wrong to its models
	CauseStream      Cause = "stream"      // timing: rate, delay, gaps, order, no data
	CauseHost        Cause = "host"        // the computer the agent runs on
)

// CauseOf returns the cause the reasons point at: stream when any stream
// reason is as severe as the worst reason, else sensor for content reasons,
// host for host reasons, none when there are no raising reasons.
func CauseOf(rs []Reason) Cause {
	worstL := OK
	for _, r := range rs {
		if r.Code.Group() != GroupInfo {
			worstL = Worse(worstL, r.Level)
		}
	}
	if worstL == OK {
		return CauseNone
	}
	var stream, content, host bool
	for _, r := range rs {
		if r.Level != worstL {
			continue
		}
		switch r.Code.Group() {
		case GroupStream:
			stream = true
		case GroupContent:
			content = true
		case GroupHost:
			host = true
		}
	}
	switch {
	case stream:
		return CauseStream
	case content:
		return CauseSensor
	case host:
		return CauseHost
	}
	return CauseNone
}
