package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/internal/mosquittotest"
	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/consumer"
)

// TestMain lets a test start this binary as trustd itself: with
// TRUSTD_TEST_AS_DAEMON set, the process is the daemon.
func TestMain(m *testing.M) {
	if os.Getenv("TRUSTD_TEST_AS_DAEMON") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// TestWillOnSIGKILL kills trustd with SIGKILL and checks, with a real
// mosquitto and mosquitto_sub, that the broker publishes its retained
// last will: the robot's status goes offline and stays so for late
// subscribers; and that the sensor state left retained expires three
// heartbeats after it was made, so that a consumer stops trusting it even
// where it misses the status.
func TestWillOnSIGKILL(t *testing.T) {
	broker := mosquittotest.Start(t, nil)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`robot: killbot
state_dir: %s
http:
  listen: ""
mqtt:
  broker: %s
  keepalive: 2s
sensors:
  - name: lidar0
    driver: sim-lidar
    period: 100ms
`, filepath.Join(dir, "state"), broker.URL("tcp"))
	cfgPath := filepath.Join(dir, "trustd.yaml")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)

	sub := mosquittotest.Subscribe(t, broker.Port, "-t", "trust/v1/killbot/#")
	cmd := exec.Command(os.Args[0], "--config", cfgPath)
	cmd.Env = append(os.Environ(), "TRUSTD_TEST_AS_DAEMON=1", "NOTIFY_SOCKET=")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("trustd stderr:\n%s\nmosquitto log:\n%s", stderr.String(), broker.Log())
		}
	})
	sub.WaitFor(t, 30*time.Second, "online", mosquittotest.Has("trust/v1/killbot/status", "online"))
	sub.WaitFor(t, 30*time.Second, "a lidar0 state", func([]string) bool { return len(sub.Messages("trust/v1/killbot/lidar0")) > 0 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	sub.WaitFor(t, 10*time.Second, "offline will", mosquittotest.Has("trust/v1/killbot/status", "offline"))

	late := mosquittotest.Subscribe(t, broker.Port, "-t", "trust/v1/killbot/#")
	late.WaitFor(t, 5*time.Second, "retained offline", mosquittotest.Has("trust/v1/killbot/status", "offline"))
	late.WaitFor(t, 5*time.Second, "retained lidar0", func([]string) bool { return len(late.Messages("trust/v1/killbot/lidar0")) > 0 })

	var st transport.State
	if err := json.Unmarshal([]byte(late.Messages("trust/v1/killbot/lidar0")[0]), &st); err != nil {
		t.Fatal(err)
	}
	if got := st.Expires.Sub(st.Time); got != 3*5*time.Second { // the default heartbeat is 5 s
		t.Fatalf("retained state made at %v expires %v later, want 3 heartbeats", st.Time, got)
	}
	tr, err := consumer.New("trust/v1/killbot")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range late.Lines() {
		topic, payload, _ := strings.Cut(l, " ")
		if err := tr.Feed(topic, []byte(payload)); err != nil {
			t.Fatal(err)
		}
	}
	if why := tr.Why("lidar0", st.Time); why != consumer.Offline {
		t.Errorf("after SIGKILL: %q, want %q", why, consumer.Offline)
	}
	tr.Feed("trust/v1/killbot/status", []byte("online")) // a consumer that missed the will
	if why := tr.Why("lidar0", st.Expires); why != consumer.Expired && why != consumer.Untrusted {
		t.Errorf("at the state's expiry: %q", why)
	}
}
