package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/drivers"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
	"github.com/sensortrust/trustagent/sensors/sim/simdriver"
)

func registry(tb testing.TB) *sensorreg.Registry {
	tb.Helper()
	reg, err := drivers.Registry()
	if err != nil {
		tb.Fatal(err)
	}
	return reg
}

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
    cone_check: false
    hole_check: false
    ring_check: false
  - name: cam0
    driver: sim-camera
    width: 320
    height: 240
    period: 66ms
    tear_check: false
    dirt_check: false
    veil_check: false
`

func TestParseGood(t *testing.T) {
	cfg, err := Parse("good.yaml", []byte(good), registry(t))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Robot != "rover-7" || len(cfg.Sensors) != 2 || cfg.Sensors[1].Options.(*simdriver.CameraOptions).Width != 320 {
		t.Fatalf("decoded %+v", cfg)
	}
	if c := cfg.Sensors[0].ConeCheck; c == nil || *c || cfg.Sensors[1].ConeCheck != nil {
		t.Errorf("cone_check: %v, %v; want false as set, then unset", cfg.Sensors[0].ConeCheck, cfg.Sensors[1].ConeCheck)
	}
	if c := cfg.Sensors[0].HoleCheck; c == nil || *c || cfg.Sensors[1].HoleCheck != nil {
		t.Errorf("hole_check: %v, %v; want false as set, then unset", cfg.Sensors[0].HoleCheck, cfg.Sensors[1].HoleCheck)
	}
	if c := cfg.Sensors[0].RingCheck; c == nil || *c || cfg.Sensors[1].RingCheck != nil {
		t.Errorf("ring_check: %v, %v; want false as set, then unset", cfg.Sensors[0].RingCheck, cfg.Sensors[1].RingCheck)
	}
	if c := cfg.Sensors[1].DirtCheck; c == nil || *c || cfg.Sensors[0].DirtCheck != nil {
		t.Errorf("dirt_check: %v, %v; want unset, then false as set", cfg.Sensors[0].DirtCheck, cfg.Sensors[1].DirtCheck)
	}
	if c := cfg.Sensors[1].VeilCheck; c == nil || *c || cfg.Sensors[0].VeilCheck != nil {
		t.Errorf("veil_check: %v, %v; want unset, then false as set", cfg.Sensors[0].VeilCheck, cfg.Sensors[1].VeilCheck)
	}
	if c := cfg.Sensors[1].TearCheck; c == nil || *c || cfg.Sensors[0].TearCheck != nil {
		t.Errorf("tear_check: %v, %v; want unset, then false as set", cfg.Sensors[0].TearCheck, cfg.Sensors[1].TearCheck)
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
		{"field for other driver", "sensors:\n  - name: a\n    driver: velodyne\n    baud: 115200\n", 4, "driver velodyne does not use baud"},
		{"sensor not a mapping", "sensors:\n  - lidar0\n", 2, "sensors[0]: want a mapping"},
		{"no driver", "sensors:\n  - name: a\n", 2, "sensors[0].driver: must be set"},
		{"bad sensor period", "sensors:\n  - name: a\n    driver: velodyne\n    period: 10us\n", 4, "sensors[0].period"},
		{"reserved sensor name", "sensors:\n  - name: summary\n    driver: velodyne\n", 2, "sensors[0].name"},
		{"reserved robot name", "robot: cmd\nsensors:\n  - name: a\n    driver: velodyne\n", 1, "robot"},
		{"prefix wildcard", "mqtt:\n  topic_prefix: trust/+/r\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "mqtt.topic_prefix"},
		{"prefix empty level", "mqtt:\n  topic_prefix: trust//r\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "empty level"},
		{"prefix dollar", "mqtt:\n  topic_prefix: $SYS/r\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "mqtt.topic_prefix"},
		{"client id wildcard", "mqtt:\n  client_id: bot#1\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "mqtt.client_id"},
		{"broker without port", "mqtt:\n  broker: tcp://broker.local\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "mqtt.broker"},
		{"tls with tcp", "mqtt:\n  broker: tcp://b:1883\n  tls:\n    ca_file: /etc/ca.pem\nsensors:\n  - name: a\n    driver: velodyne\n", 4, "mqtt.tls.ca_file"},
		{"password without user", "mqtt:\n  password_env: PW\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "mqtt.password_env"},
		{"unknown command", "mqtt:\n  commands: [reboot]\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "mqtt.commands[0]"},
		{"embedded without port", "mqtt:\n  embedded:\n    enabled: true\n    listen: '127.0.0.1:'\nsensors:\n  - name: a\n    driver: velodyne\n", 4, "mqtt.embedded.listen"},
		{"homeassistant prefix wildcard", "mqtt:\n  homeassistant:\n    enabled: true\n    prefix: ha/#\nsensors:\n  - name: a\n    driver: velodyne\n", 4, "mqtt.homeassistant.prefix"},
		{"bad log level", "log_level: bogus\nsensors:\n  - name: a\n    driver: velodyne\n", 1, "log_level"},
		{"duplicate name", "sensors:\n  - name: a\n    driver: velodyne\n  - name: a\n    driver: velodyne\n", 4, "used twice"},
		{"bad robot", "robot: 'my robot'\nsensors:\n  - name: a\n    driver: velodyne\n", 1, "robot"},
		{"no sensors", "robot: r\n", 0, "at least one sensor"},
		{"public embedded broker", "mqtt:\n  embedded:\n    enabled: true\n    listen: 0.0.0.0:1883\nsensors:\n  - name: a\n    driver: velodyne\n", 4, "loopback"},
		{"k above n", "agent:\n  enter_k: 9\n  enter_n: 3\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "enter_k"},
		{"warn k above enter k", "agent:\n  warn_k: 4\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "warn_k"},
		{"sustain k above sustain n", "agent:\n  sustain_k: 60\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "agent.sustain_k"},
		{"sustain n too long", "agent:\n  sustain_n: 5000\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "agent.sustain_n"},
		{"zero alarm rate", "agent:\n  alarm_rate: 0\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "alarm_rate"},
		{"learning too short", "host:\n  learn_for: 10s\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "host.learn_for"},
		{"fast host period", "host:\n  period: 10ms\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "host.period"},
		{"unknown host source", "host:\n  source: proc2\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "host.source"},
		{"host faults on a real host", "host:\n  faults:\n    - {fault: fan_stop, at: 1m, for: 1m}\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "host.faults"},
		{"unknown host fault", "host:\n  source: sim\n  faults:\n    - fault: fan_stop\n      for: 1m\n    - fault: meltdown\n      for: 1m\nsensors:\n  - name: a\n    driver: velodyne\n", 6, "host.faults[1].fault"},
		{"host fault without duration", "host:\n  source: sim\n  faults:\n    - fault: runaway\n      at: 10s\nsensors:\n  - name: a\n    driver: velodyne\n", 4, "host.faults[0].for"},
		{"zero host alarms", "host:\n  alarms_per_day: 0\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "host.alarms_per_day"},
		{"broker scheme", "mqtt:\n  broker: http://x:1\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "scheme"},
		{"embedded user without password", "mqtt:\n  embedded:\n    enabled: true\n    users:\n      - username: trustd\nsensors:\n  - name: a\n    driver: velodyne\n", 4, "mqtt.embedded.users"},
		{"trustd not an embedded user", "mqtt:\n  username: trustd\n  password_env: PW\n  embedded:\n    enabled: true\n    users:\n      - {username: ops, password_env: OPS}\nsensors:\n  - name: a\n    driver: velodyne\n", 2, "mqtt.username"},
		{"not yaml", "sensors: [\n", 0, ""},
		{"empty", "", 0, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(c.yaml), registry(t))
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
			if c.line != 0 && !strings.Contains(err.Error(), fmt.Sprintf("line %d: ", c.line)) {
				t.Errorf("error %q does not say line %d", err, c.line)
			}
			if !strings.HasPrefix(err.Error(), "config: f.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestApplyEnv(t *testing.T) {
	cfg, err := Parse("good.yaml", []byte(good), registry(t))
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
	err = cfg.ApplyEnv(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "robot (from TRUSTD_ROBOT)") {
		t.Errorf("invalid robot id from the environment: %v", err)
	}
}

// TestCheck covers what only building the sources or reading the files
// finds: driver options, recording folders, scenario and TLS files.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, yaml string
		line       int
		want       string
	}{
		{"recorded without dir", "sensors:\n  - name: a\n    driver: recorded\n", 2, "sensors[0].dir: driver recorded needs dir"},
		{"recorded bad kind", "sensors:\n  - name: a\n    driver: recorded\n    dir: x\n    kind: radar\n", 5, "sensors[0].kind"},
		{"recorded bad pacing", "sensors:\n  - name: a\n    driver: recorded\n    dir: x\n    pacing: slow\n", 5, "sensors[0].pacing"},
		{"serial without port", "sensors:\n  - name: a\n    driver: rplidar\n", 2, "needs address"},
		{"bad motor", "sensors:\n  - name: a\n    driver: rplidar\n    address: /dev/ttyUSB0\n    motor: jet\n", 5, "sensors[0].motor"},
		{"bad pwm", "sensors:\n  - name: a\n    driver: rplidar\n    address: /dev/ttyUSB0\n    pwm: 5000\n", 5, "sensors[0].pwm"},
		{"bad i2c address", "sensors:\n  - name: a\n    driver: lidarlite\n    bus: /dev/i2c-1\n    address: 0x99\n", 5, "sensors[0].address"},
		{"lidarlite without bus", "sensors:\n  - name: a\n    driver: lidarlite\n", 2, "sensors[0].bus"},
		{"arducam without spi", "sensors:\n  - name: a\n    driver: arducam\n    bus: /dev/i2c-1\n", 2, "sensors[0].spi"},
		{"velodyne bad address", "sensors:\n  - name: a\n    driver: velodyne\n    address: 2368\n", 4, "sensors[0].address"},
		{"huge image", "sensors:\n  - name: a\n    driver: sim-camera\n    width: 100000\n", 4, "sensors[0].width"},
		{"missing scenario", "sensors:\n  - name: a\n    driver: sim-lidar\n    scenario: " + filepath.Join(dir, "none.yaml") + "\n", 4, "sensors[0].scenario"},
		{"missing ca_file", "mqtt:\n  broker: ssl://b:8883\n  tls:\n    ca_file: " + filepath.Join(dir, "ca.pem") + "\nsensors:\n  - name: a\n    driver: velodyne\n", 4, "mqtt.tls.ca_file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("f.yaml", []byte(c.yaml), registry(t))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = cfg.Check()
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Check: %v (%T), want an *Error", err, err)
			}
			if ce.Line != c.line || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Check: %v; want line %d and %q", err, c.line, c.want)
			}
		})
	}
	cfg, err := Parse("good.yaml", []byte(good), registry(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Check(); err != nil {
		t.Errorf("good config: %v", err)
	}
	srcs, err := cfg.Sources(time.Now())
	if err != nil || len(srcs) != 2 || srcs[1].Info().Name != "cam0" {
		t.Errorf("Sources = %v, %v", srcs, err)
	}
}

func TestSensorAnchorsAndMergeKeys(t *testing.T) {
	const y = `sensors:
  - &cam
    name: cam0
    driver: sim-camera
    width: 160
  - <<: *cam
    name: cam1
    height: 120
`
	cfg, err := Parse("anchors.yaml", []byte(y), registry(t))
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.Sensors[1].Options.(*simdriver.CameraOptions)
	if cfg.Sensors[1].Name != "cam1" || cfg.Sensors[1].Driver != "sim-camera" || o.Width != 160 || o.Height != 120 {
		t.Errorf("merged sensor %+v, options %+v", cfg.Sensors[1], *o)
	}
}

// TestEmptyForeignKeys: every entry could once carry every driver's keys,
// empty when unused; such files still load.
func TestEmptyForeignKeys(t *testing.T) {
	const y = "sensors:\n  - name: a\n    driver: velodyne\n    address: ':2368'\n    baud: 0\n    bus: ''\n    trigger: false\n    dir:\n"
	if _, err := Parse("old.yaml", []byte(y), registry(t)); err != nil {
		t.Error(err)
	}
}

func TestOverride(t *testing.T) {
	cfg, err := Parse("good.yaml", []byte(good), registry(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Override("log_level", "bogus", "--log-level")
	err = cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "log_level (from --log-level)") || strings.Contains(err.Error(), "line") {
		t.Errorf("bad --log-level: %v", err)
	}
	if err := cfg.Override("state_dir", "/tmp", "--state-dir"); err == nil {
		t.Error("state_dir overridden")
	}
}

func FuzzParse(f *testing.F) {
	reg := registry(f)
	f.Add([]byte(good))
	f.Add([]byte("sensors:\n  - name: a\n    driver: velodyne\n"))
	f.Add([]byte("a: [b, {c: d}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data, reg)
		if err == nil && len(cfg.Sensors) == 0 {
			t.Fatal("accepted a config without sensors")
		}
	})
}

// TestEmbeddedBrokerUsers: users and ACLs of the embedded broker come from
// the configuration, and trustd's own account is one of them.
func TestEmbeddedBrokerUsers(t *testing.T) {
	y := `mqtt:
  username: trustd
  password_env: TRUSTD_PW
  embedded:
    enabled: true
    users:
      - {username: trustd, password_env: TRUSTD_PW, acl: {"trust/v1/r/#": readwrite}}
      - {username: ops, password_env: OPS_PW, acl: {"trust/#": read}}
sensors:
  - name: a
    driver: velodyne
`
	cfg, err := Parse("f.yaml", []byte(y), registry(t))
	if err != nil {
		t.Fatal(err)
	}
	bc := cfg.EmbeddedConfig()
	if len(bc.Users) != 2 || bc.Users[1].ACL["trust/#"] != "read" {
		t.Errorf("embedded broker users %+v", bc.Users)
	}
}

// TestUnavailableRecording: a recording folder that is missing is no
// configuration error (the daemon starts and shows the sensor STALE), but
// Unavailable names it with its line, and the source keeps the kind the
// configuration declares.
func TestUnavailableRecording(t *testing.T) {
	dir := t.TempDir()
	yaml := "sensors:\n  - name: a\n    driver: sim-lidar\n  - name: b\n    driver: recorded\n    dir: " + filepath.Join(dir, "nope") + "\n    kind: camera\n"
	cfg, err := Parse("f.yaml", []byte(yaml), registry(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	un := cfg.Unavailable()
	var ce *Error
	if len(un) != 1 || !errors.As(un[0], &ce) || ce.Line != 4 || !strings.Contains(un[0].Error(), "sensors[1]: sensor b: ") {
		t.Fatalf("Unavailable = %v", un)
	}
	srcs, err := cfg.Sources(time.Now())
	if err != nil || srcs[1].Info().Kind != sensors.KindCamera {
		t.Errorf("Sources = %v, %v", srcs, err)
	}
}

func TestPersistence(t *testing.T) {
	cfg, err := Parse("f.yaml", []byte("sensors:\n  - name: a\n    driver: velodyne\n"), registry(t))
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.Agent.Persistence(); p != (decision.Options{K: 3, N: 5, M: 10, WarnK: 2, SustainN: 50}) {
		t.Errorf("defaults: %+v", p)
	}
	cfg, err = Parse("f.yaml", []byte("agent:\n  sustain_k: 25\nsensors:\n  - name: a\n    driver: velodyne\n"), registry(t))
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.Agent.Persistence(); p.SustainK != 25 || p.SustainN != 50 {
		t.Errorf("sustain_k 25: %+v", p)
	}
}
