package homeassistant

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/transport"
)

// DefaultPrefix is Home Assistant's default discovery prefix.
const DefaultPrefix = "homeassistant"

// Options say what to announce.
type Options struct {
	Prefix  string           // discovery prefix; "" is DefaultPrefix
	Robot   string           // the robot, Home Assistant's device
	Topics  transport.Topics // where trustd publishes
	Sensors []string         // sensor names, one entity each
	Version string           // trustd's version, shown on the device
	// Heartbeat is how often trustd repeats each sensor's state; a sensor
	// entity whose state is three heartbeats old becomes unavailable. Zero
	// leaves it available until the status topic says offline.
	Heartbeat time.Duration
}

// Config is the discovery payload of one binary_sensor; the JSON keys are
// Home Assistant's.
type Config struct {
	Name                   string `json:"name"`
	UniqueID               string `json:"unique_id"`
	DeviceClass            string `json:"device_class"`
	StateTopic             string `json:"state_topic"`
	ValueTemplate          string `json:"value_template"`
	PayloadOn              string `json:"payload_on"`
	PayloadOff             string `json:"payload_off"`
	JSONAttributesTopic    string `json:"json_attributes_topic"`
	JSONAttributesTemplate string `json:"json_attributes_template"`
	AvailabilityTopic      string `json:"availability_topic"`
	PayloadAvailable       string `json:"payload_available"`
	PayloadNotAvailable    string `json:"payload_not_available"`
	ExpireAfter            int    `json:"expire_after,omitempty"` // seconds
	QoS                    int    `json:"qos"`
	Device                 Device `json:"device"`
	Origin                 Origin `json:"origin"`
}

// Device groups the entities of one robot.
type Device struct {
	Identifiers  []string `json:"identifiers"`
	Name         string   `json:"name"`
	Manufacturer string   `json:"manufacturer"`
	Model        string   `json:"model"`
	SWVersion    string   `json:"sw_version"`
}

// Origin names the software that sent the discovery message.
type Origin struct {
	Name       string `json:"name"`
	SWVersion  string `json:"sw_version"`
	SupportURL string `json:"support_url"`
}

// Templates over trustd's payloads (docs/mqtt.md): "ON" (a problem) when
// the payload is not trusted, and the level, cause and message as
// attributes.
const (
	valueTemplate      = "{{ 'OFF' if value_json.trusted else 'ON' }}"
	attributesTemplate = "{{ {'level': value_json.level, 'cause': value_json.cause | default(''), 'message': value_json.message, 'seq': value_json.seq} | tojson }}"
)

// Messages returns the retained discovery messages, the robot's first.
func Messages(o Options) ([]transport.Message, error) {
	prefix := o.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := CheckPrefix(prefix); err != nil {
		return nil, err
	}
	if err := transport.CheckName(o.Robot); err != nil {
		return nil, fmt.Errorf("homeassistant: robot: %w", err)
	}
	node := "trustagent_" + objectID(o.Robot)
	dev := Device{Identifiers: []string{node}, Name: o.Robot, Manufacturer: "sensortrust", Model: "trustagent", SWVersion: o.Version}
	base := Config{
		DeviceClass: "problem", ValueTemplate: valueTemplate, PayloadOn: "ON", PayloadOff: "OFF",
		JSONAttributesTemplate: attributesTemplate,
		AvailabilityTopic:      o.Topics.Status(), PayloadAvailable: transport.StatusOnline, PayloadNotAvailable: transport.StatusOffline,
		QoS: 1, Device: dev,
		Origin: Origin{Name: "trustagent", SWVersion: o.Version, SupportURL: "https://github.com/sensortrust/trustagent"},
	}
	robot := base
	robot.Name, robot.UniqueID = "trust", node+"_summary"
	robot.StateTopic, robot.JSONAttributesTopic = o.Topics.Summary(), o.Topics.Summary()
	out := []transport.Message{}
	m, err := message(prefix, node, "summary", robot)
	if err != nil {
		return nil, err
	}
	out = append(out, m)
	seen := map[string]string{"summary": "summary"}
	for _, s := range o.Sensors {
		if err := transport.CheckName(s); err != nil {
			return nil, fmt.Errorf("homeassistant: sensor: %w", err)
		}
		id := objectID(s)
		if prev, ok := seen[id]; ok {
			return nil, fmt.Errorf("homeassistant: sensors %q and %q have the same entity id %q", prev, s, id)
		}
		seen[id] = s
		c := base
		c.Name, c.UniqueID = s, node+"_"+id
		c.StateTopic, c.JSONAttributesTopic = o.Topics.Sensor(s), o.Topics.Sensor(s)
		if o.Heartbeat > 0 {
			c.ExpireAfter = int(math.Ceil((3 * o.Heartbeat).Seconds()))
		}
		m, err := message(prefix, node, id, c)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func message(prefix, node, object string, c Config) (transport.Message, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return transport.Message{}, fmt.Errorf("homeassistant: %w", err)
	}
	// Status kind: retained, the latest per topic is all that matters, and
	// it is announced again at every start.
	return transport.Message{Topic: prefix + "/binary_sensor/" + node + "/" + object + "/config", Payload: b, QoS: 1, Retained: true, Kind: transport.KindStatus}, nil
}

// objectID turns a trustd name (letters, digits, - _ .) into a Home
// Assistant node or object id (letters, digits, - _).
func objectID(name string) string { return strings.ReplaceAll(name, ".", "_") }

// CheckPrefix checks a discovery prefix: topic levels without wildcards.
func CheckPrefix(p string) error {
	if p == "" || strings.ContainsAny(p, "+#\x00") || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return fmt.Errorf("homeassistant: discovery prefix %q: want topic levels without wildcards or empty levels", p)
	}
	return nil
}
