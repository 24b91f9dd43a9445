package fusion

import (
	"fmt"
	"strings"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// Sensor is one sensor's decision as fusion sees it.
type Sensor struct {
	Name    string
	Kind    sensors.Kind
	Level   level.Level
	Trusted bool
	Cause   level.Cause // the sensor's own cause (sensor, stream, host or none)
}

// Summary is the robot-level state.
type Summary struct {
	Level   level.Level
	Trusted bool
	Cause   level.Cause
	Message string
	Sensors []Sensor // the input, causes rewritten to environment where shared
}

// Summarize fuses the sensors' states and the host level. The input slice
// is not modified.
func Summarize(in []Sensor, host level.Level) Summary {
	ss := append([]Sensor(nil), in...)
	s := Summary{Level: host, Trusted: true, Sensors: ss}
	contentKinds := map[sensors.Kind]bool{}
	for _, x := range ss {
		s.Level = level.Worse(s.Level, x.Level)
		if !x.Trusted {
			s.Trusted = false
		}
		if x.Level != level.OK && x.Level != level.Stale && x.Cause == level.CauseSensor {
			contentKinds[x.Kind] = true
		}
	}
	shared := contentKinds[sensors.KindLidar] && contentKinds[sensors.KindCamera]
	if shared {
		for i := range ss {
			if ss[i].Level != level.OK && ss[i].Level != level.Stale && ss[i].Cause == level.CauseSensor &&
				(ss[i].Kind == sensors.KindLidar || ss[i].Kind == sensors.KindCamera) {
				ss[i].Cause = level.CauseEnvironment
			}
		}
	}
	var content, env, stream bool
	for _, x := range ss {
		if x.Level != s.Level {
			continue
		}
		switch {
		case x.Level == level.Stale || x.Cause == level.CauseStream:
			stream = true
		case x.Cause == level.CauseEnvironment:
			env = true
		case x.Cause == level.CauseSensor:
			content = true
		}
	}
	hostBad := host != level.OK
	switch {
	case s.Level == level.OK:
		s.Cause = level.CauseNone
	case env:
		s.Cause = level.CauseEnvironment
	case content:
		s.Cause = level.CauseSensor
	case stream && hostBad:
		s.Cause = level.CauseHost
	case stream:
		s.Cause = level.CauseStream
	case hostBad:
		s.Cause = level.CauseHost
	default:
		// Worst level reached by a sensor with no recorded cause.
		s.Cause = level.CauseSensor
	}
	s.Message = message(s, host)
	return s
}

func message(s Summary, host level.Level) string {
	var b strings.Builder
	b.WriteString(s.Level.String())
	if s.Cause != level.CauseNone {
		fmt.Fprintf(&b, " (%s)", s.Cause)
	}
	var parts []string
	for _, x := range s.Sensors {
		if x.Level != level.OK {
			parts = append(parts, x.Name+" "+x.Level.String())
		}
	}
	if host != level.OK {
		parts = append(parts, "host "+host.String())
	}
	if len(parts) == 0 {
		b.WriteString(": all sensors trusted")
		return b.String()
	}
	b.WriteString(": " + strings.Join(parts, ", "))
	return b.String()
}
