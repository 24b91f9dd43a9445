package faults

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario is a timeline of faults over several sensors.
//
// In YAML (unknown keys, unknown fault names, bad severities and bad
// durations are errors naming the line):
//
//	name: demo            # optional
//	seed: 7               # optional, default 1: seeds events without their own
//	duration: 4m          # optional: how long the scenario runs
//	events:
//	  - at: 20s           # onset, from the scenario start
//	    sensor: lidar0    # configured sensor name
//	    fault: fog        # catalogue name (see Catalogue)
//	    severity: 2       # 1, 2 or 3
//	    for: 15s          # optional: duration; omitted = until the end
//	    seed: 3           # optional
//
// A bare list of events is accepted as well.
type Scenario struct {
	Name     string
	Seed     uint64
	Duration time.Duration // 0: unspecified
	Events   []Event
}

// Event is one fault episode on one sensor.
type Event struct {
	At       time.Duration // onset, from the scenario start
	For      time.Duration // 0: until the end of the scenario
	Sensor   string
	Fault    string
	Severity int
	Seed     uint64 // 0: derived from the scenario seed and the event index
	Line     int    // line in the YAML source, 0 if built in code
}

// Active reports whether the event is in force at scenario time t.
func (e Event) Active(t time.Duration) bool {
	return t >= e.At && (e.For == 0 || t < e.At+e.For)
}

// ScenarioError reports a problem in a scenario file at a line.
type ScenarioError struct {
	Line int
	Msg  string
}

func (e *ScenarioError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("faults: scenario line %d: %s", e.Line, e.Msg)
	}
	return "faults: scenario: " + e.Msg
}

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the text of the embedded default scenario.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Default returns the embedded default scenario: a few minutes of driving
// with LiDAR (lidar0) and camera (cam0) faults of several kinds, each
// followed by a recovery.
func Default() (*Scenario, error) { return ParseScenario(defaultYAML) }

// LoadScenario reads and parses a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	sc, err := ParseScenario(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sc, nil
}

// ParseScenario parses a YAML scenario strictly.
func ParseScenario(b []byte) (*Scenario, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &ScenarioError{Msg: err.Error()}
	}
	sc := &Scenario{Seed: 1}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &ScenarioError{Msg: "empty document"}
	}
	root := doc.Content[0]
	var list *yaml.Node
	switch root.Kind {
	case yaml.SequenceNode:
		list = root
	case yaml.MappingNode:
		seen := map[string]bool{}
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			if seen[k.Value] {
				return nil, &ScenarioError{k.Line, fmt.Sprintf("duplicate key %q", k.Value)}
			}
			seen[k.Value] = true
			var err error
			switch k.Value {
			case "name":
				sc.Name, err = scalarString(v)
			case "seed":
				sc.Seed, err = scalarUint(v)
			case "duration":
				sc.Duration, err = scalarDuration(v)
			case "events":
				if v.Kind != yaml.SequenceNode {
					err = &ScenarioError{v.Line, "events must be a list"}
				}
				list = v
			default:
				err = &ScenarioError{k.Line, fmt.Sprintf("unknown key %q (known: name, seed, duration, events)", k.Value)}
			}
			if err != nil {
				return nil, err
			}
		}
	default:
		return nil, &ScenarioError{root.Line, "want a mapping with events: or a list of events"}
	}
	if list != nil {
		for i, n := range list.Content {
			ev, err := parseEvent(n)
			if err != nil {
				return nil, err
			}
			if ev.Seed == 0 {
				ev.Seed = splitmix(sc.Seed*1000003 + uint64(i) + 1)
			}
			sc.Events = append(sc.Events, ev)
		}
	}
	return sc, nil
}

func parseEvent(n *yaml.Node) (Event, error) {
	if n.Kind != yaml.MappingNode {
		return Event{}, &ScenarioError{n.Line, "an event must be a mapping (at, sensor, fault, severity, for, seed)"}
	}
	ev := Event{Line: n.Line}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return ev, &ScenarioError{k.Line, fmt.Sprintf("duplicate key %q", k.Value)}
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "at":
			ev.At, err = scalarDuration(v)
		case "for":
			ev.For, err = scalarDuration(v)
		case "sensor":
			ev.Sensor, err = scalarString(v)
		case "fault":
			ev.Fault, err = scalarString(v)
			if err == nil && !Known(ev.Fault) {
				err = &ScenarioError{v.Line, fmt.Sprintf("unknown fault %q", ev.Fault)}
			}
		case "severity":
			var s uint64
			s, err = scalarUint(v)
			if err == nil && (s < 1 || s > 3) {
				err = &ScenarioError{v.Line, fmt.Sprintf("severity %d: must be 1, 2 or 3", s)}
			}
			ev.Severity = int(s)
		case "seed":
			ev.Seed, err = scalarUint(v)
		default:
			err = &ScenarioError{k.Line, fmt.Sprintf("unknown key %q (known: at, sensor, fault, severity, for, seed)", k.Value)}
		}
		if err != nil {
			return ev, err
		}
	}
	for _, req := range []string{"at", "sensor", "fault", "severity"} {
		if !seen[req] {
			return ev, &ScenarioError{n.Line, fmt.Sprintf("event without %q", req)}
		}
	}
	return ev, nil
}

func scalarString(v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode || v.Value == "" {
		return "", &ScenarioError{v.Line, "want a non-empty string"}
	}
	return v.Value, nil
}

func scalarUint(v *yaml.Node) (uint64, error) {
	if v.Kind != yaml.ScalarNode {
		return 0, &ScenarioError{v.Line, "want a number"}
	}
	u, err := strconv.ParseUint(v.Value, 10, 64)
	if err != nil {
		return 0, &ScenarioError{v.Line, fmt.Sprintf("%q is not a non-negative integer", v.Value)}
	}
	return u, nil
}

func scalarDuration(v *yaml.Node) (time.Duration, error) {
	if v.Kind != yaml.ScalarNode {
		return 0, &ScenarioError{v.Line, "want a duration such as 20s or 1m30s"}
	}
	d, err := time.ParseDuration(v.Value)
	if err != nil || d < 0 {
		return 0, &ScenarioError{v.Line, fmt.Sprintf("%q is not a non-negative duration such as 20s or 1m30s", v.Value)}
	}
	return d, nil
}

// Sensors lists the sensor names the scenario mentions, in first-use order.
func (sc *Scenario) Sensors() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range sc.Events {
		if !seen[e.Sensor] {
			seen[e.Sensor] = true
			out = append(out, e.Sensor)
		}
	}
	return out
}

// ActiveAt lists the events of sensor in force at scenario time t.
func (sc *Scenario) ActiveAt(sensor string, t time.Duration) []Event {
	var out []Event
	for _, e := range sc.Events {
		if e.Sensor == sensor && e.Active(t) {
			out = append(out, e)
		}
	}
	return out
}

// errNoScenario guards against a nil scenario.
var errNoScenario = errors.New("faults: nil scenario")
