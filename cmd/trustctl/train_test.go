package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/recorded/recordedtest"
)

// tinyTrainFlags make a model in well under a second.
var tinyTrainFlags = []string{"--epochs", "3", "--hidden", "4", "--latent", "2", "--thumb", "8", "--azimuth-bins", "8", "--quiet", "--created", "2026-01-01T00:00:00Z"}

// writeFrames writes frames as a recording directory.
func writeFrames(t *testing.T, dir string, frames []sensors.Frame) string {
	return recordedtest.WriteDir(t, dir, frames)
}

// simFrames returns n clean frames of a small simulated sensor.
func simFrames(t *testing.T, kind sensors.Kind, world uint64, from, n int) []sensors.Frame {
	t.Helper()
	r, err := training.SimDrive(context.Background(), kind, training.SizeTiny, world, from, n)
	if err != nil {
		t.Fatal(err)
	}
	return r.Frames
}

// modelPlan picks simDrive's simulated sensor: below 100 frames a small
// one, else the default one.
type modelPlan struct {
	kind      sensors.Kind
	simFrames int
}

// simDrive is training.SimDrive as the scoring tests use it.
func simDrive(ctx context.Context, p modelPlan, world uint64, from, n int) (recording, error) {
	size := training.SizeFull
	if p.simFrames < 100 {
		size = training.SizeTiny
	}
	r, err := training.SimDrive(ctx, p.kind, size, world, from, n)
	return recordingOf(r), err
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
			if kind == sensors.KindLidar && training.LidarModelFor(ms.VAE) != recorded.ModelVLP16 {
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

// TestTrainWarnsAboutLittleOrOneSceneData: a model trained on seconds of
// one recording says so when it is made, in the bundle and in inspect;
// one trained on more recordings does not warn about scenes.
func TestTrainWarnsAboutLittleOrOneSceneData(t *testing.T) {
	in := simDir(t, sensors.KindCamera, 1, 70)
	out := filepath.Join(t.TempDir(), "m.bundle")
	code, _, stderr := runCmd(t, append([]string{"train", "--sensor", "camera", "--in", in, "--out", out}, tinyTrainFlags...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"warning: too little data: 5 s of clean stream (70 frames)", "warning: a single scene: 1 recording"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("train stderr lacks %q:\n%s", want, stderr)
		}
	}
	ms, err := openModel(context.Background(), out, sensors.KindCamera)
	if err != nil {
		t.Fatal(err)
	}
	if c := ms.Coverage; c.Frames != 70 || c.Scenes != 1 || c.Seconds < 4.6 || c.Seconds > 4.7 {
		t.Errorf("coverage in the bundle %+v", c)
	}
	code, stdout, stderr := runCmd(t, "inspect", out)
	if code != 0 || !strings.Contains(stdout, "data coverage  70 frames, 1 scenes, 5 s of stream") ||
		!strings.Contains(stdout, "warning        a single scene") {
		t.Errorf("inspect: exit %d\n%s%s", code, stdout, stderr)
	}

	a, b := simDir(t, sensors.KindCamera, 1, 40), simDir(t, sensors.KindCamera, 2, 40)
	code, _, stderr = runCmd(t, append([]string{"train", "--sensor", "camera", "--in", a, "--in", b, "--out", out}, tinyTrainFlags...)...)
	if code != 0 || strings.Contains(stderr, "single scene") || !strings.Contains(stderr, "too little data") {
		t.Errorf("two recordings: exit %d, stderr:\n%s", code, stderr)
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
