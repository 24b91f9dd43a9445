package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// BenchmarkDaemonLoad runs the real trustd binary on a 10 Hz VLP-16-like
// LiDAR and a camera (simulated frames replayed in real time from
// recordings, so the simulator's own cost is not counted), with the default
// models and the embedded broker, and reports the daemon's CPU use as a
// fraction of one core and its peak RSS: with a 15 fps 320×240 camera, and
// with a 30 fps 640×480 one. Each iteration observes the daemon for
// loadWindow after a warm-up; run it with -benchtime 1x.
func BenchmarkDaemonLoad(b *testing.B) {
	for _, c := range []struct {
		name   string
		w, h   int
		period time.Duration
	}{{"lidar10Hz+cam320x240@15", 320, 240, time.Second / 15}, {"lidar10Hz+cam640x480@30", 640, 480, time.Second / 30}} {
		b.Run(c.name, func(b *testing.B) { benchDaemonLoad(b, c.w, c.h, c.period) })
	}
}

func benchDaemonLoad(b *testing.B, camW, camH int, camPeriod time.Duration) {
	const loadWindow = 20 * time.Second
	models, err := filepath.Abs("../../deploy/models")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(models, "lidar.bundle")); err != nil {
		b.Fatalf("default models: %v (run make models)", err)
	}
	dir := b.TempDir()
	mqttPort, httpPort := freePorts(b)
	bin := filepath.Join(dir, "trustd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	writeRecordings(b, dir, camW, camH, camPeriod)
	cfg := fmt.Sprintf(`robot: bench
state_dir: %[1]s/state
http:
  listen: 127.0.0.1:%[4]d
mqtt:
  broker: tcp://127.0.0.1:%[2]d
  embedded:
    enabled: true
    listen: 127.0.0.1:%[2]d
models:
  dir: %[3]s
  allow_unsigned: true
sensors:
  - name: lidar0
    driver: recorded
    dir: %[1]s/lidar0
    lidar: VLP-16
    pacing: loop
    period: 100ms
  - name: cam0
    driver: recorded
    dir: %[1]s/cam0
    pacing: loop
    period: %[5]s
`, dir, mqttPort, models, httpPort, camPeriod)
	cfgPath := filepath.Join(dir, "trustd.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		cpu, rss := observe(b, bin, cfgPath, loadWindow, fmt.Sprintf("http://127.0.0.1:%d/status", httpPort))
		b.ReportMetric(cpu, "core-fraction")
		b.ReportMetric(rss, "peak-RSS-MB")
	}
}

// writeRecordings writes 5 s of LiDAR revolutions and camera frames of the
// simulated world, looped by the recorded source.
func writeRecordings(b *testing.B, dir string, camW, camH int, camPeriod time.Duration) {
	b.Helper()
	w, err := sim.NewWorld(sim.DefaultWorldOptions())
	if err != nil {
		b.Fatal(err)
	}
	lidar, err := sim.NewLidar(w, sim.LidarOptions{Name: "lidar0"})
	if err != nil {
		b.Fatal(err)
	}
	cam, err := sim.NewCamera(w, sim.CameraOptions{Name: "cam0", Width: camW, Height: camH, Period: camPeriod})
	if err != nil {
		b.Fatal(err)
	}
	for _, rec := range []struct {
		name string
		n    uint64
		gen  sim.Generator
	}{{"lidar0", 50, lidar}, {"cam0", uint64(5 * time.Second / camPeriod), cam}} {
		dw, err := recorded.NewDirWriter(filepath.Join(dir, rec.name))
		if err != nil {
			b.Fatal(err)
		}
		for i := uint64(0); i < rec.n; i++ {
			if err := dw.Write(rec.gen.Frame(i)); err != nil {
				b.Fatal(err)
			}
		}
		if err := dw.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// observe starts trustd, lets it warm up, and measures CPU time and the
// high-water mark of its resident set over window.
func observe(b *testing.B, bin, cfg string, window time.Duration, statusURL string) (coreFraction, peakMB float64) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config", cfg, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	time.Sleep(3 * time.Second) // models installed, queues warm
	t0, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	time.Sleep(window)
	t1, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	wall := time.Since(start)
	peak, err := peakRSS(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	checkScored(b, statusURL)
	cmd.Process.Signal(os.Interrupt)
	return (t1 - t0).Seconds() / wall.Seconds(), float64(peak) / (1 << 20)
}

// cpuTime is user+system time of a process from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which is in parentheses).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clkTck, nil
}

// peakRSS is VmHWM of a process, in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// checkScored fails the benchmark unless every sensor was scored by its
// model: a measurement of a daemon that only ran stream checks is not one.
func checkScored(b *testing.B, url string) {
	b.Helper()
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Sensors []struct {
			Name   string `json:"name"`
			Frames uint64 `json:"frames"`
			Scored uint64 `json:"scored"`
		} `json:"sensors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		b.Fatal(err)
	}
	for _, s := range st.Sensors {
		b.Logf("%s: %d frames, %d scored", s.Name, s.Frames, s.Scored)
		if s.Scored == 0 {
			b.Fatalf("%s was never scored: the models did not load", s.Name)
		}
	}
}
