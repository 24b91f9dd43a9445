package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const good = `robot: rover-7
log_level: debug
state_dir: /var/lib/trustd
mqtt:
  broker: tcp://127.0.0.1:1883
  heartbeat: 2s
  embedded:
    enabled: true
    listen: 127.0.0.1:1883
sensors:
  - name: lidar0
    driver: velodyne
    address: 0.0.0.0:2368
    period: 100ms
  - name: cam0
    driver: sim-camera
    width: 320
    height: 240
    period: 66ms
`

func TestParseGood(t *testing.T) {
	cfg, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Robot != "rover-7" || len(cfg.Sensors) != 2 || cfg.Sensors[1].Width != 320 {
		t.Fatalf("decoded %+v", cfg)
	}
	if cfg.MQTT.Heartbeat != 2*time.Second || cfg.MQTT.Keepalive != 30*time.Second {
		t.Errorf("heartbeat %v keepalive %v: defaults not kept under set keys", cfg.MQTT.Heartbeat, cfg.MQTT.Keepalive)
	}
	if got := cfg.TopicPrefix(); got != "trust/v1/rover-7" {
		t.Errorf("TopicPrefix = %q", got)
	}
	if got := cfg.ClientID(); got != "trustd-rover-7" {
		t.Errorf("ClientID = %q", got)
	}
}

func TestParseErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name, yaml string
		line       int
		want       string
	}{
		{"unknown top key", "robot: r\nsensorz: []\n", 2, "unknown key sensorz"},
		{"unknown sensor key", "sensors:\n  - name: a\n    driver: velodyne\n    adress: x\n", 4, "unknown key adress"},
		{"bad duration", "sensors:\n  - name: a\n    driver: velodyne\n    period: fast\n", 4, "period"},
		{"bad driver", "sensors:\n  - name: a\n    driver: lidar9000\n", 3, "sensors[0].driver"},
		{"field for other driver", "sensors:\n  - name: a\n    driver: velodyne\n    baud: 115200\n", 4, "does not use baud"},
		{"duplicate name", "sensors:\n  - name: a\n    driver: velodyne\n  - name: a\n    driver: velodyne\n", 4, "used twice"},
		{"bad robot", "robot: 'my robot'\nsensors:\n  - name: a\n    driver: velodyne\n", 1, "robot"},
		{"no sensors", "robot: r\n", 0, "at least one sensor"},
		{"public embedded broker", "mqtt:\n  embedded:\n    enabled: true\n    listen: 0.0.0.0:1883\nsensors:\n  - name: a\n    driver: velodyne\n", 4, "loopback"},
		{"k above n", "agent:\n  enter_k: 9\n  enter_n: 3\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "enter_k"},
		{"zero alarm rate", "agent:\n  alarm_rate: 0\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "alarm_rate"},
		{"broker scheme", "mqtt:\n  broker: http://x:1\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "scheme"},
		{"recorded without dir", "sensors:\n  - name: a\n    driver: recorded\n", 2, "needs dir"},
		{"serial without port", "sensors:\n  - name: a\n    driver: rplidar\n", 2, "needs address"},
		{"bad motor", "sensors:\n  - name: a\n    driver: rplidar\n    address: /dev/ttyUSB0\n    motor: jet\n", 5, "motor"},
		{"not yaml", "sensors: [\n", 0, ""},
		{"empty", "", 0, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			if c.line != 0 && ce.Line != c.line {
				t.Errorf("line = %d, want %d (%v)", ce.Line, c.line, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "config: f.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestApplyEnv(t *testing.T) {
	cfg, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TRUSTD_ROBOT": "r2", "TRUSTD_BROKER": "ssl://broker.example:8883"}
	if err := cfg.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.Robot != "r2" || cfg.MQTT.Broker != "ssl://broker.example:8883" {
		t.Errorf("overrides not applied: %q %q", cfg.Robot, cfg.MQTT.Broker)
	}
	env["TRUSTD_ROBOT"] = "bad robot"
	if err := cfg.ApplyEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("invalid robot id from the environment accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("sensors:\n  - name: a\n    driver: velodyne\n"))
	f.Add([]byte("a: [b, {c: d}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err == nil && len(cfg.Sensors) == 0 {
			t.Fatal("accepted a config without sensors")
		}
	})
}
