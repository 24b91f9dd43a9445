package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

// TestModelsReproducible: the default-model recipe gives byte-identical
// bundles run after run (on a tiny configuration; `make models` runs the
// full one).
func TestModelsReproducible(t *testing.T) {
	var got [2]map[string][]byte
	for i := range got {
		out := t.TempDir()
		if code, _, stderr := runCmd(t, "models", "--tiny", "--quiet", "--out", out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		got[i] = map[string][]byte{}
		for _, f := range []string{"lidar.bundle", "camera.bundle"} {
			b, err := os.ReadFile(filepath.Join(out, f))
			if err != nil {
				t.Fatal(err)
			}
			got[i][f] = b
		}
		ms, err := openModel(t.Context(), filepath.Join(out, "lidar.bundle"), sensors.KindLidar)
		if err != nil {
			t.Fatal(err)
		}
		if ms.Bundle.ModelID != "lidar-default" || !ms.Metadata.Created.Equal(training.DefaultPlans(training.SizeTiny)[0].Options.Created) {
			t.Fatalf("id %q created %v", ms.Bundle.ModelID, ms.Metadata.Created)
		}
	}
	for f := range got[0] {
		if !bytes.Equal(got[0][f], got[1][f]) {
			t.Errorf("%s differs between two runs", f)
		}
	}
}

// TestDefaultModelsCommitted: the committed default models open, pass their
// probes and are for the right sensors. They are regenerated with
// `make models`.
func TestDefaultModelsCommitted(t *testing.T) {
	for f, kind := range map[string]sensors.Kind{"lidar.bundle": sensors.KindLidar, "camera.bundle": sensors.KindCamera} {
		p := filepath.Join("..", "..", "deploy", "models", f)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s: %v (run make models)", p, err)
		}
		ms, err := openModel(t.Context(), p, kind)
		if err != nil {
			t.Fatal(err)
		}
		if ms.Size > 512<<10 {
			t.Errorf("%s is %d bytes; the default models should stay a few hundred KB", f, ms.Size)
		}
	}
}

func TestModelsUsage(t *testing.T) {
	if code, _, _ := runCmd(t, "models"); code != 2 {
		t.Fatalf("no --out: exit %d", code)
	}
	if code, _, _ := runCmd(t, "models", "--out", t.TempDir(), "--no-train"); code != 2 {
		t.Fatalf("--no-train without --eval: exit %d", code)
	}
	// World 4 calibrates the default thresholds: evaluating on it would
	// score the models on frames they were fitted to.
	code, _, stderr := runCmd(t, "models", "--out", t.TempDir(), "--no-train", "--eval", t.TempDir(), "--eval-world", "4")
	if code != 2 || !strings.Contains(stderr, "world 4") {
		t.Fatalf("--eval-world 4: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCmd(t, "models", "--out", t.TempDir(), "--eval-world", "0"); code != 2 {
		t.Fatalf("--eval-world 0: exit %d", code)
	}
}

// TestModelsAdaptedToTheRobot: the robot's own clean recordings go into the
// default recipe's data, and the bundle says it is adapted.
func TestModelsAdaptedToTheRobot(t *testing.T) {
	tmp := t.TempDir()
	clean := filepath.Join(tmp, "clean.yaml")
	if err := os.WriteFile(clean, []byte("duration: 3s\nevents: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(tmp, "rec")
	if code, _, stderr := runCmd(t, "sim", "--scenario", clean, "--out", rec, "--width", "64", "--height", "48", "--fps", "10", "--seed", "44"); code != 0 {
		t.Fatal(stderr)
	}
	plain, adapted := filepath.Join(tmp, "plain"), filepath.Join(tmp, "adapted")
	if code, _, stderr := runCmd(t, "models", "--tiny", "--quiet", "--out", plain); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "models", "--tiny", "--quiet", "--out", adapted,
		"--lidar-add", filepath.Join(rec, "lidar0"), "--camera-add", filepath.Join(rec, "cam0")); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for f, kind := range map[string]sensors.Kind{"lidar.bundle": sensors.KindLidar, "camera.bundle": sensors.KindCamera} {
		p, err := openModel(t.Context(), filepath.Join(plain, f), kind)
		if err != nil {
			t.Fatal(err)
		}
		a, err := openModel(t.Context(), filepath.Join(adapted, f), kind)
		if err != nil {
			t.Fatal(err)
		}
		if want := kind.String() + "-default-adapted"; a.Bundle.ModelID != want {
			t.Errorf("%s: id %q, want %q", f, a.Bundle.ModelID, want)
		}
		if a.Coverage.Frames <= p.Coverage.Frames || a.Coverage.Scenes != p.Coverage.Scenes+1 {
			t.Errorf("%s: coverage %+v, the default's %+v: want one more scene and more frames", f, a.Coverage, p.Coverage)
		}
	}
	// A camera recording offered as the LiDAR's, and --no-train, are refused.
	if code, _, stderr := runCmd(t, "models", "--tiny", "--quiet", "--out", t.TempDir(), "--lidar-add", filepath.Join(rec, "cam0")); code == 0 || !strings.Contains(stderr, "cam0") {
		t.Errorf("camera frames as --lidar-add: exit %d, %q", code, stderr)
	}
	if code, _, _ := runCmd(t, "models", "--out", t.TempDir(), "--no-train", "--eval", t.TempDir(), "--lidar-add", rec); code != 2 {
		t.Errorf("--no-train with --lidar-add: exit %d, want 2", code)
	}
}
