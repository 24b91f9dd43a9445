package fusion

import (
	"testing"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

func lidar(l level.Level, c level.Cause) Sensor {
	return Sensor{Name: "lidar0", Kind: sensors.KindLidar, Level: l, Trusted: l < level.Error, Cause: c}
}

func camera(l level.Level, c level.Cause) Sensor {
	return Sensor{Name: "cam0", Kind: sensors.KindCamera, Level: l, Trusted: l < level.Error, Cause: c}
}

func TestSummarize(t *testing.T) {
	ok := level.CauseNone
	cases := []struct {
		name    string
		in      []Sensor
		host    level.Level
		level   level.Level
		cause   level.Cause
		trusted bool
		msg     string
	}{
		{"all ok", []Sensor{lidar(level.OK, ok), camera(level.OK, ok)}, level.OK, level.OK, ok, true, "OK: all sensors trusted"},
		{"fog on both", []Sensor{lidar(level.Error, level.CauseSensor), camera(level.Warn, level.CauseSensor)}, level.OK, level.Error, level.CauseEnvironment, false, "ERROR (environment): lidar0 ERROR, cam0 WARN"},
		{"lidar alone", []Sensor{lidar(level.Error, level.CauseSensor), camera(level.OK, ok)}, level.OK, level.Error, level.CauseSensor, false, ""},
		{"camera frozen, lidar stream warn", []Sensor{lidar(level.Warn, level.CauseStream), camera(level.Error, level.CauseSensor)}, level.OK, level.Error, level.CauseSensor, false, ""},
		{"stale camera", []Sensor{lidar(level.OK, ok), camera(level.Stale, level.CauseStream)}, level.OK, level.Stale, level.CauseStream, false, "STALE (stream): cam0 STALE"},
		{"late stamps", []Sensor{lidar(level.Error, level.CauseStream), camera(level.OK, ok)}, level.OK, level.Error, level.CauseStream, false, ""},
		{"stream fault on a hot host", []Sensor{lidar(level.Warn, level.CauseStream)}, level.Warn, level.Warn, level.CauseHost, true, ""},
		{"host only", []Sensor{lidar(level.OK, ok)}, level.Error, level.Error, level.CauseHost, true, "ERROR (host): host ERROR"},
		{"two lidars do not make weather", []Sensor{lidar(level.Error, level.CauseSensor), {Name: "lidar1", Kind: sensors.KindLidar, Level: level.Error, Cause: level.CauseSensor}}, level.OK, level.Error, level.CauseSensor, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]Sensor(nil), tc.in...)
			s := Summarize(in, tc.host)
			if s.Level != tc.level || s.Cause != tc.cause || s.Trusted != tc.trusted {
				t.Errorf("got %v %q trusted=%v, want %v %q %v", s.Level, s.Cause, s.Trusted, tc.level, tc.cause, tc.trusted)
			}
			if tc.msg != "" && s.Message != tc.msg {
				t.Errorf("message %q, want %q", s.Message, tc.msg)
			}
			for i := range in {
				if in[i] != tc.in[i] {
					t.Error("input modified")
				}
			}
		})
	}
	s := Summarize([]Sensor{lidar(level.Error, level.CauseSensor), camera(level.Warn, level.CauseSensor)}, level.OK)
	if s.Sensors[0].Cause != level.CauseEnvironment || s.Sensors[1].Cause != level.CauseEnvironment {
		t.Errorf("sensor causes not rewritten: %+v", s.Sensors)
	}
}
