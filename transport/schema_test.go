package transport

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/transport/internal/jsonschema"
)

func loadSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jsonschema.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustValid(t *testing.T, s *jsonschema.Schema, what string, doc []byte) {
	t.Helper()
	if errs := s.Validate(doc); len(errs) > 0 {
		t.Errorf("%s: %v\n%s", what, errs, doc)
	}
}

// mutate decodes doc, applies f and re-encodes it.
func mutate(t *testing.T, doc []byte, f func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, _ := json.Marshal(m)
	return b
}

func TestStatePayloadsMatchSchema(t *testing.T) {
	s := loadSchema(t, "trust-state.schema.json")
	tp := Topics{Prefix: DefaultPrefix("r1")}
	full := sampleState()
	full.Window.Features = map[string]float64{"no_return_frac": 0.41, "rate_ratio": 1}
	hb := sampleState()
	hb.Heartbeat, hb.Stamp, hb.Cause, hb.Reasons = true, time.Time{}, CauseNone, nil
	stale := &State{Robot: "r1", Sensor: "cam0", Level: LevelStale, Cause: CauseStream,
		Reasons: []Reason{{Code: "stale", Value: 2.5}}, Seq: 9, Time: full.Time, Expires: full.Expires}
	var good []byte
	for name, st := range map[string]*State{"full": full, "heartbeat": hb, "stale": stale} {
		m, err := tp.StateMessage(st)
		if err != nil {
			t.Fatal(err)
		}
		mustValid(t, s, name, m.Payload)
		good = m.Payload
	}
	// The schema and the check can fail: drift in either direction is caught.
	for name, f := range map[string]func(map[string]any){
		"missing seq":     func(m map[string]any) { delete(m, "seq") },
		"missing expires": func(m map[string]any) { delete(m, "expires") },
		"expires format":  func(m map[string]any) { m["expires"] = "soon" },
		"bad level":       func(m map[string]any) { m["level"] = "FINE" },
		"extra field":     func(m map[string]any) { m["colour"] = "red" },
		"level code":      func(m map[string]any) { m["level_code"] = 7 },
		"time format":     func(m map[string]any) { m["time"] = "yesterday" },
		"reason shape":    func(m map[string]any) { m["reasons"] = []any{map[string]any{"feature": "x"}} },
		"seq not int":     func(m map[string]any) { m["seq"] = 1.5 },
		"sensor name":     func(m map[string]any) { m["sensor"] = "a/b" },
		"values entry":    func(m map[string]any) { m["values"] = []any{map[string]any{"key": "k", "value": 1}} },
		"window frames":   func(m map[string]any) { m["window"].(map[string]any)["frames"] = -1 },
	} {
		if errs := s.Validate(mutate(t, good, f)); len(errs) == 0 {
			t.Errorf("%s: accepted by the schema", name)
		}
	}
}

func TestSummaryHealthReplyMatchSchema(t *testing.T) {
	tp := Topics{Prefix: DefaultPrefix("r1")}
	now := time.Now()
	sum := &Summary{Robot: "r1", Level: LevelWarn, Cause: CauseEnvironment, Seq: 4, Time: now, Expires: now.Add(15 * time.Second),
		Sensors: []SensorLevel{{Sensor: "lidar0", Level: LevelWarn, Trusted: true, Cause: CauseEnvironment}, {Sensor: "cam0", Level: LevelWarn, Trusted: true}}}
	m, err := tp.SummaryMessage(sum)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != KindSummary {
		t.Errorf("summary change sent as %v", m.Kind)
	}
	ss := loadSchema(t, "trust-summary.schema.json")
	mustValid(t, ss, "summary", m.Payload)
	for name, f := range map[string]func(map[string]any){
		"bad cause":         func(m map[string]any) { m["cause"] = "gremlins" },
		"missing expires":   func(m map[string]any) { delete(m, "expires") },
		"missing heartbeat": func(m map[string]any) { delete(m, "heartbeat") },
	} {
		if errs := ss.Validate(mutate(t, m.Payload, f)); len(errs) == 0 {
			t.Errorf("summary with %s accepted", name)
		}
	}
	sum.Heartbeat = true
	if m, err := tp.SummaryMessage(sum); err != nil || m.Kind != KindHeartbeat {
		t.Errorf("summary heartbeat: %v, kind %v", err, m.Kind)
	}
	sum.Expires = time.Time{}
	if _, err := tp.SummaryMessage(sum); err == nil {
		t.Error("summary without expiry accepted")
	}

	h := &Health{Robot: "r1", HardwareID: "rpi4", Level: LevelOK, Score: 0.2, Threshold: 1,
		Host: Host{CPUTempC: 61.5, CPULoad: []float64{0.2, 0.4}, Load1: 0.7, MemUsedFrac: 0.3, RSSBytes: 40 << 20, StateFreeBytes: 1 << 30}}
	m, err = tp.HealthMessage(h)
	if err != nil {
		t.Fatal(err)
	}
	hs := loadSchema(t, "trust-health.schema.json")
	mustValid(t, hs, "health", m.Payload)
	if errs := hs.Validate(mutate(t, m.Payload, func(m map[string]any) { m["host"].(map[string]any)["mem_used_frac"] = 1.5 })); len(errs) == 0 {
		t.Error("health with mem_used_frac 1.5 accepted")
	}
	h.Phase, h.Learning = "learning", &Learning{Samples: 1234, Target: 7200, Paused: "throttled"}
	m, err = tp.HealthMessage(h)
	if err != nil {
		t.Fatal(err)
	}
	mustValid(t, hs, "health while learning", m.Payload)
	if errs := hs.Validate(mutate(t, m.Payload, func(m map[string]any) { m["phase"] = "dreaming" })); len(errs) == 0 {
		t.Error("health with an unknown phase accepted")
	}

	cs := loadSchema(t, "trust-command.schema.json")
	for _, r := range []*Reply{
		{Robot: "r1", Command: "recalibrate", ID: "7", OK: true, Result: json.RawMessage(`{"threshold":2.5}`)},
		{Robot: "r1", Command: "loglevel", OK: false, Error: "bad command: level"},
	} {
		m, err := tp.ReplyMessage(r)
		if err != nil {
			t.Fatal(err)
		}
		mustValid(t, cs, "reply", m.Payload)
	}
}

// TestCommandSchemaAgreesWithParser checks that the published command
// schema and the strict parser accept exactly the same payloads.
func TestCommandSchemaAgreesWithParser(t *testing.T) {
	cs := loadSchema(t, "trust-command.schema.json")
	cases := map[string][]string{
		"recalibrate": {
			`{"sensor":"lidar0","minutes":10}`, `{"id":"x","sensor":"cam0","minutes":1440}`,
			`{"sensor":"lidar0","minutes":0}`, `{"sensor":"lidar0","minutes":1441}`, `{"sensor":"lidar0","minutes":2.5}`,
			`{"sensor":"lidar0","minutes":"5"}`, `{"sensor":"li dar","minutes":5}`, `{"minutes":5}`,
			`{"sensor":"lidar0","minutes":5,"force":true}`, `{"sensor":"lidar0","minutes":1e1}`, `[]`,
			`{"id":"` + strings.Repeat("x", 129) + `","sensor":"lidar0","minutes":5}`,
		},
		"loglevel": {
			`{"level":"debug"}`, `{"id":"1","level":"error"}`, `{"level":"DEBUG"}`, `{"level":"fatal"}`, `{}`, `{"level":null}`,
		},
		"relearn-host": {`{}`, `{"id":"9"}`, `{"force":true}`, `[]`, `{"id":5}`},
	}
	for name, payloads := range cases {
		for _, p := range payloads {
			var err error
			switch name {
			case "recalibrate":
				err = DecodeStrict([]byte(p), &Recalibrate{})
			case "loglevel":
				err = DecodeStrict([]byte(p), &LogLevel{})
			default:
				err = DecodeStrict([]byte(p), &RelearnHost{})
			}
			schemaOK := len(cs.ValidateRef("#/$defs/"+name, []byte(p))) == 0
			if (err == nil) != schemaOK {
				t.Errorf("%s %s: parser error %v, schema valid %v", name, p, err, schemaOK)
			}
		}
	}
}
