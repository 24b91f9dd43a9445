package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// TestCleanStopIsStaleBeforeOffline stops trustd as SIGTERM does and
// checks, against a real mosquitto whose retained messages outlive trustd,
// the order a subscriber sees: the sensor's last state and the last
// summary before "offline" are STALE and untrusted ("trustd stopping"),
// and nothing follows "offline".
func TestCleanStopIsStaleBeforeOffline(t *testing.T) {
	broker := mosquittotest.Start(t, nil)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "trustd.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`robot: stopbot
state_dir: %s
http:
  listen: ""
mqtt:
  broker: %s
sensors:
  - name: lidar0
    driver: sim-lidar
    period: 100ms
`, filepath.Join(dir, "state"), broker.URL("tcp"))), 0o644)
	const prefix = "trust/v1/stopbot/"
	sub := mosquittotest.Subscribe(t, broker.Port, "-t", prefix+"#", "-q", "1")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--config", cfgPath}, io.Discard, &stderr, func(string) string { return "" })
	}()
	sub.WaitFor(t, 30*time.Second, "online", mosquittotest.Has(prefix+"status", "online"))
	sub.WaitFor(t, 30*time.Second, "a judged lidar0 state", func([]string) bool {
		return slices.ContainsFunc(sub.Messages(prefix+"lidar0"), func(p string) bool { return strings.Contains(p, `"trusted":true`) })
	})
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("trustd did not stop within 5 s")
	}
	sub.WaitFor(t, 5*time.Second, "offline", mosquittotest.Has(prefix+"status", "offline"))

	lines := sub.Lines()
	offline := slices.Index(lines, prefix+"status offline")
	last := map[string]map[string]any{}
	for _, l := range lines[:offline] {
		topic, payload, _ := strings.Cut(l, " ")
		if name, ok := strings.CutPrefix(topic, prefix); ok && (name == "lidar0" || name == "summary") {
			var m map[string]any
			json.Unmarshal([]byte(payload), &m)
			last[name] = m
		}
	}
	if m := last["lidar0"]; m["level"] != "STALE" || m["trusted"] != false || m["message"] != "STALE: trustd stopping" || m["heartbeat"] != false {
		t.Errorf("last lidar0 state before offline: %v", m)
	}
	if m := last["summary"]; m["level"] != "STALE" || m["trusted"] != false || m["heartbeat"] != false {
		t.Errorf("last summary before offline: %v", m)
	}
	for _, l := range lines[offline+1:] {
		t.Errorf("after offline: %s", l)
	}
}
