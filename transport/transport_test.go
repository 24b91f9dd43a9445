package transport

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func sampleState() *State {
	return &State{
		Robot: "r1", Sensor: "lidar0", HardwareID: "VLP-16 192.168.1.201:2368",
		Level: LevelWarn, Message: "no-return fraction high", Trusted: true,
		Score: 3.5, Threshold: 2.9, Cause: CauseSensor,
		Reasons: []Reason{{Code: "ae_feature", Feature: "no_return_frac", Value: 0.41}},
		Window:  Window{Seconds: 1, Frames: 10, RateHz: 10, LatencyP50MS: 3, LatencyP95MS: 5},
		Model:   Model{ID: "vae-vlp16", Version: "1.0.0"},
		Seq:     42,
		Time:    time.Date(2026, 11, 29, 5, 0, 0, 123456789, time.UTC),
		Expires: time.Date(2026, 11, 29, 6, 0, 15, 123456789, time.FixedZone("x", 3600)),
		Stamp:   time.Date(2026, 11, 29, 5, 0, 0, 100000000, time.FixedZone("x", 3600)),
	}
}

func TestStateMessage(t *testing.T) {
	tp, err := NewTopics(DefaultPrefix("r1"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := tp.StateMessage(sampleState())
	if err != nil {
		t.Fatal(err)
	}
	if m.Topic != "trust/v1/r1/lidar0" || m.QoS != 1 || !m.Retained || m.Kind != KindState {
		t.Fatalf("message %+v", m)
	}
	var got map[string]any
	if err := json.Unmarshal(m.Payload, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"schema": 1.0, "name": "r1/lidar0", "level": "WARN", "level_code": 1.0, "seq": 42.0,
		"time": "2026-11-29T05:00:00.123456789Z", "stamp": "2026-11-29T04:00:00.1Z", "cause": "sensor",
		"expires": "2026-11-29T05:00:15.123456789Z",
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if vals, _ := got["values"].([]any); len(vals) < 5 {
		t.Errorf("values not filled: %v", got["values"])
	}
	s := sampleState()
	s.Heartbeat = true
	s.Stamp = time.Time{}
	m, err = tp.StateMessage(s)
	if err != nil || m.Kind != KindHeartbeat || strings.Contains(string(m.Payload), `"stamp"`) {
		t.Fatalf("heartbeat: %v %s", err, m.Payload)
	}
}

func TestStateMessageRejects(t *testing.T) {
	tp := Topics{Prefix: "p"}
	for name, mod := range map[string]func(*State){
		"level":     func(s *State) { s.Level = "BAD" },
		"cause":     func(s *State) { s.Cause = "gremlins" },
		"reserved":  func(s *State) { s.Sensor = "status" },
		"wildcard":  func(s *State) { s.Sensor = "a+b" },
		"no expiry": func(s *State) { s.Expires = time.Time{} },
		"expired":   func(s *State) { s.Expires = s.Time },
	} {
		s := sampleState()
		mod(s)
		if _, err := tp.StateMessage(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestTopics(t *testing.T) {
	for _, bad := range []string{"", "/a", "a/", "a//b", "$SYS/x", "a/+/b", "a/#"} {
		if _, err := NewTopics(bad); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
	tp := Topics{Prefix: "trust/v1/r1"}
	if tp.CommandFilter() != "trust/v1/r1/cmd/#" || tp.Reply("loglevel") != "trust/v1/r1/cmd/loglevel/reply" {
		t.Fatal(tp.CommandFilter(), tp.Reply("loglevel"))
	}
	if n, ok := tp.CommandName("trust/v1/r1/cmd/recalibrate"); !ok || n != "recalibrate" {
		t.Fatal(n, ok)
	}
	if _, ok := tp.CommandName("trust/v1/r1/cmd/recalibrate/reply"); ok {
		t.Fatal("reply taken as command")
	}
}

func TestDecodeStrict(t *testing.T) {
	var r Recalibrate
	if err := DecodeStrict([]byte(`{"sensor":"lidar0","minutes":10,"id":"x"}`), &r); err != nil || r.Minutes != 10 {
		t.Fatal(err, r)
	}
	for _, bad := range []string{
		`{"sensor":"lidar0","minutes":10,"extra":1}`,
		`{"sensor":"lidar0","minutes":10} {}`,
		`{"sensor":"lidar0","minutes":0}`,
		`{"sensor":"lidar0","minutes":"10"}`,
		`{"sensor":"li/dar","minutes":10}`,
		`[]`, `null`, ``,
		"{\"sensor\":\"lidar0\",\"minutes\":10,\"id\":\"a\xff\xfeb\"}", // not UTF-8: the decoder would make it U+FFFD
	} {
		var r Recalibrate
		if err := DecodeStrict([]byte(bad), &r); !errors.Is(err, ErrBadCommand) {
			t.Errorf("%s: err %v", bad, err)
		}
	}
}
