package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// tinyTrainFlags make a model in well under a second.
var tinyTrainFlags = []string{"--epochs", "3", "--hidden", "4", "--latent", "2", "--thumb", "8", "--azimuth-bins", "8", "--quiet", "--created", "2026-01-01T00:00:00Z"}

// writeFrames writes frames as a recording directory.
func writeFrames(t *testing.T, dir string, frames []sensors.Frame) string {
	t.Helper()
	w, err := recorded.NewDirWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// simFrames returns n clean frames of a small simulated sensor.
func simFrames(t *testing.T, kind sensors.Kind, world uint64, from, n int) []sensors.Frame {
	t.Helper()
	p := modelPlan{kind: kind, simFrames: 1}
	r, err := simDrive(context.Background(), p, world, from, n)
	if err != nil {
		t.Fatal(err)
	}
	return r.frames
}

// simDir writes n clean frames of a small simulated sensor.
func simDir(t *testing.T, kind sensors.Kind, world uint64, n int) string {
	t.Helper()
	return writeFrames(t, filepath.Join(t.TempDir(), kind.String()), simFrames(t, kind, world, 0, n))
}

// tinyModel trains a tiny model on a simulated recording and returns the
// bundle's path.
func tinyModel(t *testing.T, kind sensors.Kind) string {
	t.Helper()
	in := simDir(t, kind, 1, 70)
	out := filepath.Join(t.TempDir(), "m.bundle")
	args := append([]string{"train", "--sensor", kind.String(), "--in", in, "--out", out}, tinyTrainFlags...)
	if code, _, stderr := runCmd(t, args...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	return out
}

func TestTrainWritesUsableBundle(t *testing.T) {
	for _, kind := range []sensors.Kind{sensors.KindCamera, sensors.KindLidar} {
		t.Run(kind.String(), func(t *testing.T) {
			path := tinyModel(t, kind)
			ms, err := openModel(context.Background(), path, kind)
			if err != nil {
				t.Fatal(err)
			}
			if ms.VAE.Kind() != kind || ms.Health == nil {
				t.Fatalf("kind %v health %v", ms.VAE.Kind(), ms.Health != nil)
			}
			c := ms.VAE.Calibration()
			if !(c.Threshold > 0) || c.TargetFPR != 0.01 || c.Frames == 0 {
				t.Fatalf("calibration %+v", c)
			}
			if kind == sensors.KindLidar && lidarModelFor(ms.VAE) != recorded.ModelVLP16 {
				t.Fatalf("VLP-16 scans without ring ids were not recognised: rows %d", len(ms.VAE.Repr().Elevations))
			}
		})
	}
}

func TestTrainDeterministic(t *testing.T) {
	in := simDir(t, sensors.KindCamera, 2, 60)
	var got [][]byte
	for i := 0; i < 2; i++ {
		out := filepath.Join(t.TempDir(), "m.bundle")
		args := append([]string{"train", "--sensor", "camera", "--in", in, "--out", out, "--seed", "7"}, tinyTrainFlags...)
		if code, _, stderr := runCmd(t, args...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Fatal("two trainings with the same seed, data and --created differ")
	}
}

func TestTrainSeveralRecordingsAndCalibrationRecording(t *testing.T) {
	a := simDir(t, sensors.KindCamera, 1, 40)
	b := simDir(t, sensors.KindCamera, 2, 40)
	c := simDir(t, sensors.KindCamera, 3, 30)
	out := filepath.Join(t.TempDir(), "m.bundle")
	args := append([]string{"train", "--sensor", "camera", "--in", a, "--in", b, "--cal-in", c, "--out", out}, tinyTrainFlags...)
	code, stdout, stderr := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ms, err := openModel(context.Background(), out, sensors.KindCamera)
	if err != nil {
		t.Fatal(err)
	}
	m := ms.VAE.Meta()
	// 2·(40·0.2) tail frames + the whole calibration recording.
	if m.CalFrames != 8+8+30 {
		t.Fatalf("calibration block %d frames, want 46 (%s)", m.CalFrames, stdout)
	}
}

func TestArrange(t *testing.T) {
	recs := []recording{{names: make([]string, 10)}, {names: make([]string, 20)}, {names: make([]string, 5), calOnly: true}}
	for i := range recs {
		for j := range recs[i].names {
			recs[i].names[j] = string(rune('a'+i)) + string(rune('0'+j%10))
		}
	}
	parts, v, c := arrange(recs, func(r recording) []string { return r.names })
	var all []string
	for _, p := range parts {
		all = append(all, p...)
	}
	want := "a0 a1 a2 a3 a4 a5 a6 b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 b0 b1 b2 b3 a7 b4 b5 a8 a9 b6 b7 b8 b9 c0 c1 c2 c3 c4"
	if got := strings.Join(all, " "); got != want {
		t.Fatalf("order\n got %s\nwant %s", got, want)
	}
	if v != 3.0/35 || c != 11.0/35 {
		t.Fatalf("fractions %v %v", v, c)
	}
}

// TestTrainBadInput: every bad input gets one clear line, exit 1 or 2,
// never a stack trace.
func TestTrainBadInput(t *testing.T) {
	empty := t.TempDir()
	mixed := simDir(t, sensors.KindCamera, 1, 3)
	lid := simDir(t, sensors.KindLidar, 1, 1)
	b, _ := os.ReadFile(filepath.Join(lid, "000000.bin"))
	os.WriteFile(filepath.Join(mixed, "000003.bin"), b, 0o644)
	corrupt := simDir(t, sensors.KindCamera, 1, 25)
	os.WriteFile(filepath.Join(corrupt, "000004.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	truncated := simDir(t, sensors.KindLidar, 1, 25)
	os.WriteFile(filepath.Join(truncated, "000005.bin"), b[:len(b)-7], 0o644)
	few := simDir(t, sensors.KindCamera, 1, 5)
	cam := simDir(t, sensors.KindCamera, 1, 25)
	out := filepath.Join(t.TempDir(), "m.bundle")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"empty folder", []string{"--sensor", "camera", "--in", empty}, "no frames"},
		{"missing folder", []string{"--sensor", "camera", "--in", filepath.Join(empty, "nope")}, "no such file"},
		{"mixed formats", []string{"--sensor", "camera", "--in", mixed}, "recording " + mixed},
		{"corrupt file", []string{"--sensor", "camera", "--in", corrupt}, "000004.png"},
		{"truncated file", []string{"--sensor", "lidar", "--in", truncated}, "000005.bin"},
		{"wrong sensor", []string{"--sensor", "lidar", "--in", cam}, "not lidar"},
		{"too few frames", []string{"--sensor", "camera", "--in", few}, "at least"},
		{"no sensor", []string{"--in", cam}, "--sensor must be"},
		{"bad fpr", []string{"--sensor", "camera", "--in", cam, "--fpr", "2"}, "--fpr"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"train"}, c.args...), "--out", out, "--quiet")
			code, _, stderr := runCmd(t, args...)
			if code == 0 {
				t.Fatal("succeeded")
			}
			if !strings.Contains(stderr, c.want) || strings.Contains(stderr, "goroutine") {
				t.Fatalf("exit %d, stderr %q, want it to mention %q", code, stderr, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("a model was written")
			}
		})
	}
}

func TestDetectLidarModelKeepsOtherLidars(t *testing.T) {
	// A 64-beam-like scan: elevations spread evenly, not on the VLP-16 table.
	s := &sensors.Scan{Header: sensors.Header{Stamp: time.Unix(1, 0)}}
	for i := 0; i < 64; i++ {
		el := -24.8 + float64(i)*0.42
		for a := 0; a < 90; a++ {
			r := 10.0
			z := r * sinDeg(el)
			h := r * cosDeg(el)
			s.Points = append(s.Points, sensors.Point{X: float32(h * cosDeg(float64(a)*4)), Y: float32(h * sinDeg(float64(a)*4)), Z: float32(z), Range: float32(r)})
		}
	}
	dir := writeFrames(t, filepath.Join(t.TempDir(), "hdl"), []sensors.Frame{s})
	d, err := recorded.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := detectLidarModel(d); err != nil || m != "" {
		t.Fatalf("detected %q, %v", m, err)
	}
}

func sinDeg(d float64) float64 { return math.Sin(d * math.Pi / 180) }
func cosDeg(d float64) float64 { return math.Cos(d * math.Pi / 180) }
