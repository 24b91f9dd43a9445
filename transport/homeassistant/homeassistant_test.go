package homeassistant

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/transport"
)

func TestMessages(t *testing.T) {
	tp := transport.Topics{Prefix: transport.DefaultPrefix("r1")}
	ms, err := Messages(Options{Robot: "r1", Topics: tp, Sensors: []string{"lidar0", "cam.front"}, Version: "1.2.3", Heartbeat: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ topic, state string }{
		{"homeassistant/binary_sensor/trustagent_r1/summary/config", "trust/v1/r1/summary"},
		{"homeassistant/binary_sensor/trustagent_r1/lidar0/config", "trust/v1/r1/lidar0"},
		{"homeassistant/binary_sensor/trustagent_r1/cam_front/config", "trust/v1/r1/cam.front"},
	}
	if len(ms) != len(want) {
		t.Fatalf("%d messages, want %d", len(ms), len(want))
	}
	ids := map[string]bool{}
	for i, m := range ms {
		if m.Topic != want[i].topic || !m.Retained || m.QoS != 1 {
			t.Errorf("message %d: topic %q retained %v qos %d", i, m.Topic, m.Retained, m.QoS)
		}
		var c Config
		if err := json.Unmarshal(m.Payload, &c); err != nil {
			t.Fatal(err)
		}
		if c.StateTopic != want[i].state || c.JSONAttributesTopic != want[i].state || c.DeviceClass != "problem" {
			t.Errorf("%s: state topic %q, attributes %q, class %q", m.Topic, c.StateTopic, c.JSONAttributesTopic, c.DeviceClass)
		}
		if c.AvailabilityTopic != "trust/v1/r1/status" || c.PayloadAvailable != "online" || c.PayloadNotAvailable != "offline" {
			t.Errorf("%s: availability %q %q/%q", m.Topic, c.AvailabilityTopic, c.PayloadAvailable, c.PayloadNotAvailable)
		}
		if c.Device.Identifiers[0] != "trustagent_r1" || c.Device.SWVersion != "1.2.3" || ids[c.UniqueID] {
			t.Errorf("%s: device %+v, unique id %q", m.Topic, c.Device, c.UniqueID)
		}
		ids[c.UniqueID] = true
		// Sensor states repeat every heartbeat; the summary only on change.
		if wantExp := map[bool]int{true: 0, false: 15}[i == 0]; c.ExpireAfter != wantExp {
			t.Errorf("%s: expire_after %d, want %d", m.Topic, c.ExpireAfter, wantExp)
		}
	}
}

// TestTemplatesReadRealPayloads: every value_json field the templates read
// is in the state and summary payloads trustd publishes.
func TestTemplatesReadRealPayloads(t *testing.T) {
	tp := transport.Topics{Prefix: "p"}
	now := time.Now()
	st, err := tp.StateMessage(&transport.State{Robot: "r1", Sensor: "lidar0", Level: transport.LevelError, Cause: transport.CauseSensor, Message: "m",
		Time: now, Expires: now.Add(15 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := tp.SummaryMessage(&transport.Summary{Robot: "r1", Level: transport.LevelOK, Trusted: true, Time: now, Expires: now.Add(15 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	field := regexp.MustCompile(`value_json\.([a-z_]+)`)
	for _, p := range [][]byte{st.Payload, sum.Payload} {
		var obj map[string]any
		if err := json.Unmarshal(p, &obj); err != nil {
			t.Fatal(err)
		}
		for _, m := range field.FindAllStringSubmatch(valueTemplate+attributesTemplate, -1) {
			if _, ok := obj[m[1]]; !ok && m[1] != "cause" { // cause is left out when OK, hence default('')
				t.Errorf("payload %s lacks %q, which a template reads", p, m[1])
			}
		}
		if _, ok := obj["trusted"].(bool); !ok {
			t.Errorf("payload %s: trusted is not a boolean", p)
		}
	}
	if !strings.Contains(valueTemplate, "'OFF' if value_json.trusted else 'ON'") {
		t.Errorf("value template %q: a trusted sensor must be OFF (no problem)", valueTemplate)
	}
}

func TestMessagesRejects(t *testing.T) {
	tp := transport.Topics{Prefix: "p"}
	for _, o := range []Options{
		{Robot: "r1", Topics: tp, Sensors: []string{"a.b", "a_b"}},
		{Robot: "r1", Topics: tp, Sensors: []string{"a/b"}},
		{Robot: "", Topics: tp},
		{Robot: "r1", Topics: tp, Prefix: "home/#"},
		{Robot: "r1", Topics: tp, Prefix: "/ha"},
	} {
		if _, err := Messages(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
