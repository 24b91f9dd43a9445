package transport

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The field and constant lines of diagnostic_msgs/msg/DiagnosticStatus.msg,
// KeyValue.msg and DiagnosticArray.msg in ros2/common_interfaces (the same
// in ROS 1), comments dropped.
const (
	rosDiagnosticStatus = `byte OK=0
byte WARN=1
byte ERROR=2
byte STALE=3
byte level
string name
string message
string hardware_id
KeyValue[] values`
	rosKeyValue = `string key
string value`
	rosDiagnosticArray = `std_msgs/Header header
DiagnosticStatus[] status`
)

// rosMsg is a parsed .msg definition.
type rosMsg struct {
	consts map[string]int
	fields [][2]string // type, name
}

func parseRosMsg(t *testing.T, def string) rosMsg {
	t.Helper()
	m := rosMsg{consts: map[string]int{}}
	for _, l := range strings.Split(def, "\n") {
		typ, rest, ok := strings.Cut(strings.TrimSpace(l), " ")
		if !ok {
			t.Fatalf("bad .msg line %q", l)
		}
		if name, val, ok := strings.Cut(rest, "="); ok {
			v, err := strconv.Atoi(val)
			if err != nil {
				t.Fatalf("constant %q: %v", l, err)
			}
			m.consts[name] = v
			continue
		}
		m.fields = append(m.fields, [2]string{typ, rest})
	}
	return m
}

// diagnosticKeys is the mapping of docs/mqtt.md: DiagnosticStatus field →
// payload key.
var diagnosticKeys = map[string]string{
	"level": "level_code", "name": "name", "message": "message", "hardware_id": "hardware_id", "values": "values",
}

// rosPayloads are encoded payloads of every kind that carries a
// DiagnosticStatus, at every level.
func rosPayloads(t *testing.T) map[string][]byte {
	t.Helper()
	tp := Topics{Prefix: DefaultPrefix("r1")}
	out := map[string][]byte{}
	for _, l := range []Level{LevelOK, LevelWarn, LevelError, LevelStale} {
		s := sampleState()
		s.Level, s.Heartbeat = l, l == LevelOK
		if l == LevelStale {
			s.Stamp = time.Time{}
		}
		m, err := tp.StateMessage(s)
		if err != nil {
			t.Fatal(err)
		}
		out["state "+string(l)] = m.Payload
		now := time.Now()
		sum := &Summary{Robot: "r1", Level: l, Message: "m", Time: now, Expires: now.Add(15 * time.Second),
			Sensors: []SensorLevel{{Sensor: "lidar0", Level: l}, {Sensor: "cam0", Level: LevelOK}}}
		if m, err = tp.SummaryMessage(sum); err != nil {
			t.Fatal(err)
		}
		out["summary "+string(l)] = m.Payload
		h := &Health{Robot: "r1", HardwareID: "rpi4", Level: l, Score: 0.2, Threshold: 1, Host: Host{CPUTempC: 61.5}}
		if m, err = tp.HealthMessage(h); err != nil {
			t.Fatal(err)
		}
		out["health "+string(l)] = m.Payload
	}
	return out
}

// TestDiagnosticStatusMapping checks payloads against the DiagnosticStatus
// definition through the documented mapping: every field has its key, of
// the field's type, the level byte is one of the message's constants and
// the level word is that constant's name.
func TestDiagnosticStatusMapping(t *testing.T) {
	status, kv := parseRosMsg(t, rosDiagnosticStatus), parseRosMsg(t, rosKeyValue)
	if len(status.fields) != len(diagnosticKeys) {
		t.Fatalf("DiagnosticStatus has %d fields, the mapping %d", len(status.fields), len(diagnosticKeys))
	}
	for name, p := range rosPayloads(t) {
		var obj map[string]any
		dec := json.NewDecoder(strings.NewReader(string(p)))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range status.fields {
			typ, field := f[0], f[1]
			key, ok := diagnosticKeys[field]
			if !ok {
				t.Fatalf("no payload key for DiagnosticStatus.%s", field)
			}
			v, ok := obj[key]
			if !ok {
				t.Errorf("%s: no %q for DiagnosticStatus.%s", name, key, field)
				continue
			}
			switch typ {
			case "byte":
				n, err := v.(json.Number).Int64()
				if err != nil || n < 0 || n > 255 {
					t.Errorf("%s: %s = %v is not a byte", name, key, v)
				}
				word, _ := obj["level"].(string)
				if c, ok := status.consts[word]; !ok || int64(c) != n {
					t.Errorf("%s: level %q with level_code %d; DiagnosticStatus has %s=%d", name, word, n, word, c)
				}
			case "string":
				if _, ok := v.(string); !ok {
					t.Errorf("%s: %s = %v is not a string", name, key, v)
				}
			case "KeyValue[]":
				arr, ok := v.([]any)
				if !ok || len(arr) == 0 {
					t.Errorf("%s: %s = %v is not a non-empty array", name, key, v)
					continue
				}
				seen := map[string]bool{}
				for _, e := range arr {
					o, ok := e.(map[string]any)
					if !ok || len(o) != len(kv.fields) {
						t.Errorf("%s: value %v is not a KeyValue", name, e)
						continue
					}
					for _, kf := range kv.fields {
						if _, ok := o[kf[1]].(string); !ok || kf[0] != "string" {
							t.Errorf("%s: value %v: %s is not a string", name, e, kf[1])
						}
					}
					k, _ := o["key"].(string)
					if seen[k] {
						t.Errorf("%s: key %q twice", name, k)
					}
					seen[k] = true
				}
			default:
				t.Fatalf("DiagnosticStatus field type %s not handled", typ)
			}
		}
	}
	// The message's constants are the four levels, with Level.Code's bytes.
	for _, l := range []Level{LevelOK, LevelWarn, LevelError, LevelStale} {
		if c, ok := status.consts[string(l)]; !ok || c != l.Code() {
			t.Errorf("level %s: code %d, DiagnosticStatus %d", l, l.Code(), c)
		}
	}
	if len(status.consts) != 4 {
		t.Errorf("DiagnosticStatus constants %v", status.consts)
	}
}

// TestDiagnosticArrayMapping: a DiagnosticArray is a header and the
// statuses; the header's stamp is the payload's time, whose RFC 3339 form
// converts to builtin_interfaces/Time without loss.
func TestDiagnosticArrayMapping(t *testing.T) {
	arr := parseRosMsg(t, rosDiagnosticArray)
	want := [][2]string{{"std_msgs/Header", "header"}, {"DiagnosticStatus[]", "status"}}
	if fmt.Sprint(arr.fields) != fmt.Sprint(want) {
		t.Fatalf("DiagnosticArray fields %v", arr.fields)
	}
	s := sampleState()
	m, err := Topics{Prefix: "p"}.StateMessage(s)
	if err != nil {
		t.Fatal(err)
	}
	var obj struct {
		Time string `json:"time"`
	}
	if err := json.Unmarshal(m.Payload, &obj); err != nil {
		t.Fatal(err)
	}
	ts, err := time.Parse(time.RFC3339Nano, obj.Time)
	if err != nil {
		t.Fatal(err)
	}
	sec, nsec := ts.Unix(), ts.Nanosecond()
	if sec != s.Time.Unix() || nsec != 123456789 || sec > 1<<31-1 {
		t.Fatalf("stamp %d s %d ns from %q", sec, nsec, obj.Time)
	}
}

// TestDiagnosticMappingDocumented: docs/mqtt.md states the mapping the
// tests check.
func TestDiagnosticMappingDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/mqtt.md")
	if err != nil {
		t.Fatal(err)
	}
	status := parseRosMsg(t, rosDiagnosticStatus)
	for _, f := range status.fields {
		row := fmt.Sprintf("| `%s` | `%s` | `%s` |", f[1], f[0], diagnosticKeys[f[1]])
		if !strings.Contains(string(b), row) {
			t.Errorf("docs/mqtt.md lacks the mapping row %q", row)
		}
	}
}
