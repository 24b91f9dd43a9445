package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validBase is a configuration the daemon starts with; each case of
// TestCheckConfigRefusesWhatTheDaemonRefuses changes one thing in it.
const validBase = `robot: testbot
state_dir: {dir}/state
mqtt:
  broker: tcp://127.0.0.1:1883
models:
  dir: {dir}/models
  allow_unsigned: true
sensors:
  - name: lidar0
    driver: sim-lidar
    period: 100ms
`

// TestCheckConfigRefusesWhatTheDaemonRefuses walks the configurations that
// once passed --check-config and then stopped the daemon with exit status 1
// and no key named: each must be refused by --check-config, and by the
// daemon before it starts anything, with exit status 2, the key and the
// line (flags and environment values have no line, and name the flag).
func TestCheckConfigRefusesWhatTheDaemonRefuses(t *testing.T) {
	sensor := func(name string) string {
		return fmt.Sprintf("sensors:\n  - name: %s\n    driver: sim-lidar\n", name)
	}
	mqtt := func(lines string) string {
		return "mqtt:\n" + lines + "sensors:\n  - name: lidar0\n    driver: sim-lidar\n"
	}
	cases := []struct {
		name string
		yaml string   // whole file; {dir} stands for a temporary directory
		args []string // extra flags
		key  string
		line int // 0: the value did not come from the file
	}{
		{"reserved sensor name summary", sensor("summary"), nil, "sensors[0].name", 2},
		{"reserved sensor name health", sensor("health"), nil, "sensors[0].name", 2},
		{"reserved sensor name status", sensor("status"), nil, "sensors[0].name", 2},
		{"reserved sensor name cmd", sensor("cmd"), nil, "sensors[0].name", 2},
		{"reserved robot name", "robot: status\n" + sensor("lidar0"), nil, "robot", 1},
		{"topic prefix with +", mqtt("  topic_prefix: trust/+/bot\n"), nil, "mqtt.topic_prefix", 2},
		{"topic prefix with #", mqtt("  topic_prefix: 'trust/#'\n"), nil, "mqtt.topic_prefix", 2},
		{"topic prefix with an empty level", mqtt("  topic_prefix: trust//bot\n"), nil, "mqtt.topic_prefix", 2},
		{"topic prefix with a leading $", mqtt("  topic_prefix: $SYS/bot\n"), nil, "mqtt.topic_prefix", 2},
		{"topic prefix with a leading /", mqtt("  topic_prefix: /trust/bot\n"), nil, "mqtt.topic_prefix", 2},
		{"topic prefix with a trailing /", mqtt("  topic_prefix: trust/bot/\n"), nil, "mqtt.topic_prefix", 2},
		{"client id with +", mqtt("  client_id: bot+1\n"), nil, "mqtt.client_id", 2},
		{"client id with #", mqtt("  client_id: 'bot#1'\n"), nil, "mqtt.client_id", 2},
		{"client id with /", mqtt("  client_id: bots/1\n"), nil, "mqtt.client_id", 2},
		{"broker without port", mqtt("  broker: tcp://broker.local\n"), nil, "mqtt.broker", 2},
		{"--broker without port", validBase, []string{"--broker", "tcp://broker.local"}, "mqtt.broker (from --broker)", 0},
		{"ca_file with tcp://", mqtt("  broker: tcp://broker.local:1883\n  tls:\n    ca_file: /etc/trustd/ca.pem\n"), nil, "mqtt.tls.ca_file", 4},
		{"client certificate with tcp://", mqtt("  tls:\n    cert_file: /etc/trustd/r.pem\n    key_file: /etc/trustd/r.key\n"), nil, "mqtt.tls.cert_file", 3},
		{"missing ca_file", mqtt("  broker: ssl://broker.local:8883\n  tls:\n    ca_file: {dir}/ca.pem\n"), nil, "mqtt.tls.ca_file", 4},
		{"missing password_file", mqtt("  username: bot\n  password_file: {dir}/pw\n"), nil, "mqtt.password_file", 3},
		{"unset password_env", mqtt("  username: bot\n  password_env: TRUSTD_TEST_UNSET_PASSWORD\n"), nil, "mqtt.password_env", 3},
		{"password without username", mqtt("  password_env: TRUSTD_TEST_UNSET_PASSWORD\n"), nil, "mqtt.password_env", 2},
		{"embedded broker without port", mqtt("  embedded:\n    enabled: true\n    listen: '127.0.0.1:'\n"), nil, "mqtt.embedded.listen", 4},
		{"recorded kind not lidar or camera", "sensors:\n  - name: lidar0\n    driver: recorded\n    dir: {dir}\n    kind: range\n", nil, "sensors[0].kind", 5},
		{"recorded without dir", "sensors:\n  - name: lidar0\n    driver: recorded\n", nil, "sensors[0].dir", 2},
		{"missing scenario file", "sensors:\n  - name: lidar0\n    driver: sim-lidar\n    scenario: {dir}/none.yaml\n", nil, "sensors[0].scenario", 4},
		{"velodyne address without port", "sensors:\n  - name: lidar0\n    driver: velodyne\n    address: 192.168.1.100\n", nil, "sensors[0].address", 4},
		{"rplidar unknown motor", "sensors:\n  - name: scan0\n    driver: rplidar\n    address: /dev/ttyUSB0\n    motor: jet\n", nil, "sensors[0].motor", 5},
		{"I²C address out of range", "sensors:\n  - name: range0\n    driver: tfluna\n    bus: /dev/i2c-1\n    address: 0x80\n", nil, "sensors[0].address", 5},
		{"unknown host source", "host:\n  source: simulated\n" + sensor("lidar0"), nil, "host.source", 2},
		{"unknown host fault", "host:\n  source: sim\n  faults:\n    - {fault: fan-stop, at: 1m, for: 1m}\n" + sensor("lidar0"), nil, "host.faults[0].fault", 4},
		{"log_level key", "log_level: bogus\n" + sensor("lidar0"), nil, "log_level", 1},
		{"--log-level flag", validBase, []string{"--log-level", "bogus"}, "log_level (from --log-level)", 0},
		{"--robot flag reserved", validBase, []string{"--robot", "cmd"}, "robot (from --robot)", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "trustd.yaml")
			if err := os.WriteFile(path, []byte(strings.ReplaceAll(c.yaml, "{dir}", dir)), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, mode := range []string{"--check-config", "--config"} {
				args := append([]string{mode, path}, c.args...)
				code, out, errs := runTrustd(t, args...)
				if code != exitUsage {
					t.Errorf("%s: exit %d, want %d; stdout %q stderr %q", mode, code, exitUsage, out, errs)
					continue
				}
				if !strings.Contains(errs, " "+c.key+": ") {
					t.Errorf("%s: stderr %q does not name %s", mode, errs, c.key)
				}
				if c.line > 0 && !strings.Contains(errs, fmt.Sprintf("trustd.yaml: line %d: ", c.line)) {
					t.Errorf("%s: stderr %q does not say line %d", mode, errs, c.line)
				}
				if c.line == 0 && strings.Contains(errs, "line ") {
					t.Errorf("%s: stderr %q points at a line for a value that is not in the file", mode, errs)
				}
			}
		})
	}
}

// TestCheckConfigAcceptsBase keeps the cases above honest: the base they
// change passes.
func TestCheckConfigAcceptsBase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trustd.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(validBase, "{dir}", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runTrustd(t, "--check-config", path); code != exitOK || !strings.Contains(out, "valid") {
		t.Errorf("code %d out %q err %q", code, out, errs)
	}
}
