package fleet

import (
	"cmp"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/consumer"
)

// DefaultPrefix is the fleet prefix of the default topic layout
// (transport.DefaultPrefix(robot) is DefaultPrefix + "/" + robot).
const DefaultPrefix = "trust/v1"

// Options say which robots to keep and how many. Zero fields take the
// defaults of DefaultOptions.
type Options struct {
	Prefix     string // fleet prefix, before the robot name
	Robots     string // path.Match pattern on robot names; "" keeps every robot
	MaxRobots  int    // robots kept; messages of further robots are dropped
	MaxSensors int    // sensors kept per robot; states of further sensors are dropped
	MaxPayload int    // bytes; a larger payload is counted as malformed
}

// DefaultOptions returns the defaults: every robot under trust/v1, at most
// 10,000 robots of 32 sensors, payloads up to 16 KiB.
func DefaultOptions() Options {
	return Options{Prefix: DefaultPrefix, MaxRobots: 10000, MaxSensors: 32, MaxPayload: 16 << 10}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	o.Prefix = cmp.Or(o.Prefix, d.Prefix)
	o.MaxRobots = cmp.Or(o.MaxRobots, d.MaxRobots)
	o.MaxSensors = cmp.Or(o.MaxSensors, d.MaxSensors)
	o.MaxPayload = cmp.Or(o.MaxPayload, d.MaxPayload)
	return o
}

// Fleet is the trust state of the robots under one prefix, fed with the
// messages received on Filter. It is safe for concurrent use.
type Fleet struct {
	opt Options

	mu                  sync.Mutex
	robots              map[string]*consumer.Tracker
	malformed           uint64
	lastMalformed       string
	droppedRobotMsgs    uint64
	droppedSensorStates uint64
}

// New checks o (with defaults applied) and returns an empty Fleet.
func New(o Options) (*Fleet, error) {
	o = o.withDefaults()
	var errs []error
	if _, err := transport.NewTopics(o.Prefix); err != nil {
		errs = append(errs, err)
	}
	if _, err := path.Match(o.Robots, ""); err != nil {
		errs = append(errs, fmt.Errorf("robot pattern %q: %w", o.Robots, err))
	}
	if o.MaxRobots < 1 || o.MaxSensors < 1 || o.MaxPayload < 1 {
		errs = append(errs, fmt.Errorf("caps must be positive: %d robots, %d sensors, %d bytes", o.MaxRobots, o.MaxSensors, o.MaxPayload))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	return &Fleet{opt: o, robots: map[string]*consumer.Tracker{}}, nil
}

// Filter is the subscription filter that brings every message Feed uses:
// <prefix>/+/+, or <prefix>/<robot>/+ when the robot pattern names one
// robot.
func (f *Fleet) Filter() string {
	if r := f.opt.Robots; r != "" && !strings.ContainsAny(r, `*?[\`) {
		return f.opt.Prefix + "/" + r + "/+"
	}
	return f.opt.Prefix + "/+/+"
}

// Feed takes one message as received. Messages outside the prefix, deeper
// topics (commands) and robots the pattern leaves out are ignored; payloads
// that break the contract are counted (Snapshot.Malformed) and change
// nothing.
func (f *Fleet) Feed(topic string, payload []byte) {
	rest, ok := strings.CutPrefix(topic, f.opt.Prefix+"/")
	if !ok {
		return
	}
	robot, level, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(level, "/") {
		return
	}
	if f.opt.Robots != "" {
		if m, _ := path.Match(f.opt.Robots, robot); !m {
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := transport.CheckName(robot); err != nil {
		f.bad(fmt.Errorf("topic %s: %w", quote(topic), err))
		return
	}
	if len(payload) > f.opt.MaxPayload {
		f.bad(fmt.Errorf("topic %s: payload of %d bytes, more than %d", quote(topic), len(payload), f.opt.MaxPayload))
		return
	}
	tr := f.robots[robot]
	if tr == nil {
		if len(payload) == 0 {
			return // a cleared retained message of a robot not kept
		}
		if len(f.robots) >= f.opt.MaxRobots {
			f.droppedRobotMsgs++
			return
		}
		var err error
		if tr, err = consumer.New(f.opt.Prefix + "/" + robot); err != nil {
			f.bad(err)
			return
		}
		f.robots[robot] = tr
	}
	if len(payload) > 0 && transport.CheckName(level) == nil {
		if _, have := tr.Seq(level); !have && len(tr.Sensors()) >= f.opt.MaxSensors {
			f.droppedSensorStates++
			return
		}
	}
	if err := tr.Feed(topic, payload); err != nil {
		f.bad(err)
	}
	if len(payload) == 0 && tr.Status() == "" && len(tr.Sensors()) == 0 {
		delete(f.robots, robot) // every retained message of the robot cleared
	}
}

// quote makes an untrusted topic safe to print: escaped, at most 80 bytes.
func quote(topic string) string {
	if len(topic) > 80 {
		return strconv.Quote(topic[:80]) + "…"
	}
	return strconv.Quote(topic)
}

// bad counts a malformed message; f.mu is held.
func (f *Fleet) bad(err error) {
	f.malformed++
	f.lastMalformed = err.Error()
}

// Row is one sensor of one robot, as a fleet view shows it.
type Row struct {
	Robot     string
	Sensor    string          // "" for a robot that has published no sensor state
	Level     transport.Level // shown: STALE when the state expired or the robot is offline
	Published transport.Level // the latest state's own level; "" without one
	Trusted   bool            // the consumer contract's verdict at Snapshot.At
	Why       consumer.Reason // why not trusted
	Cause     transport.Cause
	Reasons   []transport.Reason
	Seq       uint64
	Updated   time.Time // when the latest state (or its heartbeat) was made; zero when unknown
	Status    string    // the robot's status: "online", "offline", "" when unknown
}

// Snapshot is the fleet at one instant.
type Snapshot struct {
	At       time.Time
	Rows     []Row // worst first: ERROR, STALE, WARN, OK; then by robot and sensor
	Robots   int
	Online   int // robots whose status is online
	Offline  int // robots whose status is anything else ("" excepted)
	NoStatus int // robots whose status was never seen
	Levels   map[transport.Level]int

	Malformed      uint64 // messages ignored because they break the contract
	LastMalformed  string // why the latest of them was ignored
	DroppedRobots  uint64 // messages of robots beyond MaxRobots
	DroppedSensors uint64 // states of sensors beyond MaxSensors of their robot
	MaxRobots      int
	MaxSensors     int
}

// Warnings say what the snapshot leaves out, one line each.
func (s *Snapshot) Warnings() []string {
	var w []string
	if s.DroppedRobots > 0 {
		w = append(w, fmt.Sprintf("more than %d robots: %d messages of further robots dropped", s.MaxRobots, s.DroppedRobots))
	}
	if s.DroppedSensors > 0 {
		w = append(w, fmt.Sprintf("a robot has more than %d sensors: %d states of further sensors dropped", s.MaxSensors, s.DroppedSensors))
	}
	if s.NoStatus > 0 {
		w = append(w, fmt.Sprintf("%d robots without a status message: never sent, or dropped by the broker", s.NoStatus))
	}
	if s.Malformed > 0 {
		w = append(w, fmt.Sprintf("%d malformed messages ignored, the latest: %s", s.Malformed, s.LastMalformed))
	}
	return w
}

// rank orders levels worst first: a verdict that the data is bad, then no
// data, then a warning.
func rank(l transport.Level) int {
	switch l {
	case transport.LevelError:
		return 0
	case transport.LevelStale:
		return 1
	case transport.LevelWarn:
		return 2
	case transport.LevelOK:
		return 3
	}
	return 4
}

// Snapshot returns the fleet as seen at now.
func (f *Fleet) Snapshot(now time.Time) Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := Snapshot{At: now, Robots: len(f.robots), Levels: map[transport.Level]int{},
		Malformed: f.malformed, LastMalformed: f.lastMalformed,
		DroppedRobots: f.droppedRobotMsgs, DroppedSensors: f.droppedSensorStates,
		MaxRobots: f.opt.MaxRobots, MaxSensors: f.opt.MaxSensors}
	for robot, tr := range f.robots {
		status := tr.Status()
		switch status {
		case "":
			s.NoStatus++
		case transport.StatusOnline:
			s.Online++
		default:
			s.Offline++
		}
		sensors := tr.Sensors()
		if len(sensors) == 0 {
			_, _, why := tr.State("", now)
			s.Rows = append(s.Rows, Row{Robot: robot, Level: transport.LevelStale, Why: why, Status: status})
		}
		for _, name := range sensors {
			st, _, why := tr.State(name, now)
			r := Row{Robot: robot, Sensor: name, Level: st.Level, Published: st.Level, Trusted: why == consumer.Trusted,
				Why: why, Cause: st.Cause, Reasons: st.Reasons, Seq: st.Seq, Updated: st.Time, Status: status}
			if why == consumer.Expired || why == consumer.Offline {
				r.Level = transport.LevelStale
			}
			s.Rows = append(s.Rows, r)
		}
	}
	for _, r := range s.Rows {
		s.Levels[r.Level]++
	}
	slices.SortFunc(s.Rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(rank(a.Level), rank(b.Level)), cmp.Compare(a.Robot, b.Robot), cmp.Compare(a.Sensor, b.Sensor))
	})
	return s
}
