package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// TestBadRecordingMakesItsSensorStale: a recording folder that is missing,
// or mixes formats, does not take the daemon down. --check-config warns
// about it and passes; the daemon starts, judges the other sensor, and
// shows the bad one STALE with the reason; once the missing folder is
// filled, that sensor plays.
func TestBadRecordingMakesItsSensorStale(t *testing.T) {
	dir := t.TempDir()
	mqttPort, httpPort := freePorts(t)
	cfgPath := writeConfig(t, dir, mqttPort, httpPort, "100ms")
	missing := filepath.Join(dir, "cam0")
	mixed := filepath.Join(dir, "mixed")
	os.MkdirAll(mixed, 0o755)
	os.WriteFile(filepath.Join(mixed, "000000.png"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(mixed, "000001.bin"), []byte("x"), 0o644)
	appendConfig(t, cfgPath, fmt.Sprintf(`  - name: cam0
    driver: recorded
    dir: %s
    kind: camera
    pacing: loop
  - name: lidar1
    driver: recorded
    dir: %s
    pacing: loop
`, missing, mixed))

	code, out, errs := runTrustd(t, "--check-config", cfgPath)
	if code != exitOK || !strings.Contains(out, "valid") {
		t.Fatalf("--check-config: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, want := range []string{"warning: ", "sensors[1]: ", "line 18: ", "sensors[2]: ", "mixes frame formats"} {
		if !strings.Contains(errs, want) {
			t.Errorf("--check-config warnings %q lack %q", errs, want)
		}
	}

	d := startDaemon(t, cfgPath)
	defer d.stop(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/status", httpPort)
	waitHTTP(t, url, 10*time.Second)
	sensor := func() map[string]agent.SensorStatus {
		var st agent.Status
		if code, body := httpGet(t, url); code != 200 || json.Unmarshal([]byte(body), &st) != nil {
			return nil
		}
		out := map[string]agent.SensorStatus{}
		for _, s := range st.Sensors {
			out[s.Name] = s
		}
		return out
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := sensor()
		if s != nil && s["lidar0"].Frames > 0 && s["cam0"].SourceError != "" && s["lidar1"].SourceError != "" {
			for _, name := range []string{"cam0", "lidar1"} {
				if s[name].Level.String() != "STALE" || s[name].Trusted {
					t.Errorf("%s: level %v trusted %v, want STALE and untrusted", name, s[name].Level, s[name].Trusted)
				}
			}
			if !strings.Contains(s["cam0"].SourceError, "no such file") || s["cam0"].Kind != "camera" {
				t.Errorf("cam0: kind %s, source error %q", s["cam0"].Kind, s["cam0"].SourceError)
			}
			if !strings.Contains(s["lidar1"].SourceError, "mixes frame formats") {
				t.Errorf("lidar1: source error %q", s["lidar1"].SourceError)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sensors after 15 s: %+v\nstderr:\n%s", s, d.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The drive is mounted: the camera plays.
	writeCameraFrames(t, missing, 20)
	deadline = time.Now().Add(20 * time.Second)
	for {
		if s := sensor(); s != nil && s["cam0"].Frames > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cam0 did not play its folder once filled; stderr:\n%s", d.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// writeCameraFrames records n simulated 64×48 camera frames into dir.
func writeCameraFrames(t *testing.T, dir string, n uint64) {
	t.Helper()
	w, err := sim.NewWorld(sim.DefaultWorldOptions())
	if err != nil {
		t.Fatal(err)
	}
	cam, err := sim.NewCamera(w, sim.CameraOptions{Name: "cam0", Width: 64, Height: 48, Period: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tmp := dir + ".part"
	dw, err := recorded.NewDirWriter(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < n; i++ {
		if err := dw.Write(cam.Frame(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := dw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
}
