package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runTrustd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := runTrustd(t, "--version")
	if code != exitOK || !strings.HasPrefix(out, "trustd ") {
		t.Errorf("--version: code %d, out %q", code, out)
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("sensors:\n  - name: lidar0\n    driver: velodyne\n"), 0o644)
	os.WriteFile(bad, []byte("sensors:\n  - name: lidar0\n    driver: velodyne\n    colour: blue\n"), 0o644)

	if code, out, errs := runTrustd(t, "--check-config", good); code != exitOK || !strings.Contains(out, "valid") {
		t.Errorf("good config: code %d out %q err %q", code, out, errs)
	}
	code, _, errs := runTrustd(t, "--check-config", bad)
	if code != exitUsage || !strings.Contains(errs, "bad.yaml: line 4:") || !strings.Contains(errs, "colour") {
		t.Errorf("bad config: code %d, stderr %q", code, errs)
	}
	if code, _, _ := runTrustd(t, "--check-config", filepath.Join(dir, "missing.yaml")); code != exitUsage {
		t.Errorf("missing config: code %d", code)
	}
	if code, _, errs := runTrustd(t, "--check-config", good, "--robot", "not valid"); code != exitUsage {
		t.Errorf("bad --robot override: code %d, %q", code, errs)
	}
}

func TestBadUsage(t *testing.T) {
	if code, _, _ := runTrustd(t, "--no-such-flag"); code != exitUsage {
		t.Errorf("unknown flag: code %d", code)
	}
	if code, _, _ := runTrustd(t, "extra"); code != exitUsage {
		t.Errorf("extra argument: code %d", code)
	}
}

// TestRefusesWhenEpochCannotBeStored: trustd does not publish when it
// cannot store the boot epoch (its numbers could repeat an earlier run's),
// and says why.
func TestRefusesWhenEpochCannotBeStored(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	os.MkdirAll(state, 0o750)
	os.WriteFile(filepath.Join(state, "outbox"), nil, 0o600) // a file where the outbox directory goes
	cfg := filepath.Join(dir, "trustd.yaml")
	os.WriteFile(cfg, []byte(`robot: r1
state_dir: `+state+`
http:
  listen: ""
mqtt:
  broker: tcp://127.0.0.1:1
sensors:
  - name: lidar0
    driver: sim-lidar
    period: 100ms
`), 0o644)
	code, _, errs := runTrustd(t, "--config", cfg)
	if code != exitRuntime || !strings.Contains(errs, "boot epoch") || !strings.Contains(errs, "refusing to publish") {
		t.Errorf("code %d, stderr %q", code, errs)
	}
}

// startTrustd runs trustd on cfgPath until the test ends (then stops it
// and waits), and returns its stderr.
func startTrustd(t *testing.T, cfgPath string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--config", cfgPath}, &syncBuffer{}, stderr, func(string) string { return "" })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("trustd did not stop")
		}
	})
	return stderr
}
