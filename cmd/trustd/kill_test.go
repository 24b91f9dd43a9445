package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/internal/mosquittotest"
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
// subscribers.
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

	sub := mosquittotest.Subscribe(t, broker.Port, "-t", "trust/v1/killbot/status")
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
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	sub.WaitFor(t, 10*time.Second, "offline will", mosquittotest.Has("trust/v1/killbot/status", "offline"))

	late := mosquittotest.Subscribe(t, broker.Port, "-t", "trust/v1/killbot/status")
	late.WaitFor(t, 5*time.Second, "retained offline", mosquittotest.Has("trust/v1/killbot/status", "offline"))
}
