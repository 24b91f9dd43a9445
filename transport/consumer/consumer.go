package consumer

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/transport"
)

// Reason says why a sensor is not trusted; "" when it is.
type Reason string

// Reasons, in the order Tracker checks them.
const (
	Trusted   Reason = ""
	NoStatus  Reason = "no status"         // no <prefix>/status seen yet
	Offline   Reason = "robot offline"     // status is not "online"
	NoState   Reason = "no state"          // no state of the sensor seen yet
	Untrusted Reason = "state not trusted" // the latest state says trusted: false
	Expired   Reason = "state expired"     // the latest state's expires has passed
)

// MaxReasons is how many reasons (the most important first) a tracker keeps
// of each state.
const MaxReasons = 8

// State is what a tracker keeps of a sensor's (or the summary's) latest
// state: the change with the largest seq, its expiry and time moved on by
// the heartbeats that repeat it.
type State struct {
	Seq     uint64
	Level   transport.Level // as published; Why tells whether it still holds
	Trusted bool
	Cause   transport.Cause
	Reasons []transport.Reason // at most MaxReasons
	Time    time.Time          // when the latest message of this change was made; zero when absent
	Expires time.Time
}

// Tracker follows one robot's trust messages. It is safe for concurrent
// use.
type Tracker struct {
	topics transport.Topics

	mu      sync.Mutex
	status  string // "" until seen
	sensors map[string]State
	summary *State
}

// New returns a tracker for the robot whose topics are under prefix
// (transport.DefaultPrefix(robot) unless the robot is configured otherwise).
func New(prefix string) (*Tracker, error) {
	t, err := transport.NewTopics(prefix)
	if err != nil {
		return nil, fmt.Errorf("consumer: %w", err)
	}
	return &Tracker{topics: t, sensors: map[string]State{}}, nil
}

// ErrPayload is wrapped by Feed's error for a payload that does not parse
// or lacks what the contract requires; such a message changes nothing.
var ErrPayload = errors.New("consumer: bad payload")

// payload is the part of a State or Summary the rule needs.
type payload struct {
	Sensor    string             `json:"sensor"`
	Level     transport.Level    `json:"level"`
	Trusted   bool               `json:"trusted"`
	Cause     transport.Cause    `json:"cause"`
	Reasons   []transport.Reason `json:"reasons"`
	Seq       *uint64            `json:"seq"`
	Heartbeat bool               `json:"heartbeat"`
	Time      time.Time          `json:"time"`
	Expires   time.Time          `json:"expires"`
}

// Feed takes one message as received. Messages on other topics (another
// robot's, health, commands) are ignored; an empty payload (a cleared
// retained message) forgets the sensor or summary.
func (t *Tracker) Feed(topic string, data []byte) error {
	level, ok := strings.CutPrefix(topic, t.topics.Prefix+"/")
	if !ok || strings.Contains(level, "/") {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case topic == t.topics.Status():
		t.status = string(data)
		return nil
	case topic == t.topics.Summary():
		if len(data) == 0 {
			t.summary = nil
			return nil
		}
		p, err := parse(data)
		if err != nil {
			return fmt.Errorf("%w on %s: %w", ErrPayload, topic, err)
		}
		var kept State
		if t.summary != nil {
			kept = *t.summary
		}
		next := merge(kept, t.summary != nil, p)
		t.summary = &next
		return nil
	case transport.CheckName(level) != nil:
		return nil // health, or not a sensor
	}
	if len(data) == 0 {
		delete(t.sensors, level)
		return nil
	}
	p, err := parse(data)
	if err != nil {
		return fmt.Errorf("%w on %s: %w", ErrPayload, topic, err)
	}
	if p.Sensor != level {
		return fmt.Errorf("%w on %s: state of sensor %q", ErrPayload, topic, p.Sensor)
	}
	kept, have := t.sensors[level]
	t.sensors[level] = merge(kept, have, p)
	return nil
}

func parse(data []byte) (payload, error) {
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return p, err
	}
	switch {
	case p.Seq == nil:
		return p, errors.New("no seq")
	case p.Expires.IsZero():
		return p, errors.New("no expires")
	case !p.Level.Valid():
		return p, fmt.Errorf("level %q", p.Level)
	}
	return p, nil
}

// merge applies the seq rule: p replaces kept when its seq is larger; a
// heartbeat of the kept change extends its expiry (and its time); anything
// else is older or a resend.
func merge(kept State, have bool, p payload) State {
	seq := *p.Seq
	switch {
	case !have || seq > kept.Seq:
		if len(p.Reasons) > MaxReasons {
			p.Reasons = p.Reasons[:MaxReasons:MaxReasons]
		}
		return State{Seq: seq, Level: p.Level, Trusted: p.Trusted, Cause: p.Cause, Reasons: p.Reasons, Time: p.Time, Expires: p.Expires}
	case seq == kept.Seq && p.Heartbeat && p.Expires.After(kept.Expires):
		kept.Expires = p.Expires
		if p.Time.After(kept.Time) {
			kept.Time = p.Time
		}
	}
	return kept
}

// Trusted reports whether sensor may be trusted at now.
func (t *Tracker) Trusted(sensor string, now time.Time) bool { return t.Why(sensor, now) == Trusted }

// Why says why sensor may not be trusted at now, or Trusted.
func (t *Tracker) Why(sensor string, now time.Time) Reason {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.sensors[sensor]
	return t.why(s, ok, now)
}

// RobotTrusted reports whether the robot's summary says every sensor may be
// trusted at now, by the same rule.
func (t *Tracker) RobotTrusted(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.summary == nil {
		return t.why(State{}, false, now) == Trusted
	}
	return t.why(*t.summary, true, now) == Trusted
}

func (t *Tracker) why(s State, have bool, now time.Time) Reason {
	switch {
	case t.status == "":
		return NoStatus
	case t.status != transport.StatusOnline:
		return Offline
	case !have:
		return NoState
	case !s.Trusted:
		return Untrusted
	case !now.Before(s.Expires):
		return Expired
	}
	return Trusted
}

// Seq returns the seq of the latest state of sensor, and whether there is
// one.
func (t *Tracker) Seq(sensor string) (uint64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.sensors[sensor]
	return s.Seq, ok
}

// State returns the latest state of sensor, whether there is one, and why
// the sensor may not be trusted at now (Trusted when it may).
func (t *Tracker) State(sensor string, now time.Time) (State, bool, Reason) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.sensors[sensor]
	return s, ok, t.why(s, ok, now)
}

// Sensors returns the names of the sensors with a state, sorted.
func (t *Tracker) Sensors() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Sorted(maps.Keys(t.sensors))
}

// Status returns the robot's latest <prefix>/status payload, "" when none
// was seen (or it was cleared).
func (t *Tracker) Status() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status
}
