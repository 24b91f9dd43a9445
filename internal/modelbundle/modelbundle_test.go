package modelbundle

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// tiny returns a small camera VAE, health model and frames.
func tiny(t testing.TB) (*likelihood.Model, *health.Model, []sensors.Frame, [][]float64) {
	t.Helper()
	w, err := sim.NewWorld(sim.DefaultWorldOptions())
	if err != nil {
		t.Fatal(err)
	}
	cam, err := sim.NewCamera(w, sim.CameraOptions{Width: 32, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	var frames []sensors.Frame
	for i := range 60 {
		frames = append(frames, cam.Frame(uint64(i)))
	}
	m, err := likelihood.Train(context.Background(), frames, likelihood.TrainOptions{Seed: 1, Hidden: 4, Latent: 2, DecoderHidden: 4, Epochs: 2, ThumbW: 4, ThumbH: 3})
	if err != nil {
		t.Fatal(err)
	}
	sf, err := health.NewSensorFeatures(sensors.KindCamera, cam.Info().Period)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float64
	for _, f := range frames {
		v, err := sf.Next(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, v)
	}
	h, _, err := health.Train(rows, sf.Names(), health.TrainOptions{Epochs: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return m, h, frames, rows
}

func TestBuildOpen(t *testing.T) {
	m, h, frames, rows := tiny(t)
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	spec := Spec{VAE: m, Health: h, ProbeFrames: frames[:3], HealthProbes: rows[:2], Created: created, ToolVersion: "test"}
	b, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(spec)
	if err != nil || string(again) != string(b) {
		t.Fatal("Build is not deterministic")
	}
	ms, err := Open(context.Background(), b, sensors.KindCamera)
	if err != nil {
		t.Fatal(err)
	}
	if ms.VAE.Threshold() != m.Threshold() || ms.Health == nil || ms.Health.Warn != h.Warn {
		t.Fatal("models changed in the round trip")
	}
	if !ms.Metadata.Created.Equal(created) || !ms.VAE.Meta().Created.Equal(created) || ms.VAE.Meta().Duration != 0 {
		t.Fatalf("created %v / %v", ms.Metadata.Created, ms.VAE.Meta().Created)
	}
	if ms.Bundle.ModelID != "camera-default" || ms.Metadata.DataHash != m.Meta().DataHash {
		t.Fatal("metadata")
	}
	if v, ok := ms.Calibration.Threshold(ThresholdVAE); !ok || v == 0 {
		t.Fatal("no vae threshold in the calibration section")
	}
	if ms.ScoreWarn != 0 || ms.ScoreRise != 0 {
		t.Fatalf("a WARN threshold %v or rise level %v nobody set", ms.ScoreWarn, ms.ScoreRise)
	}
	spec.ScoreWarn, spec.ScoreRise = 0.75*m.Threshold(), 1.37
	bw, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	mw, err := Open(context.Background(), bw, sensors.KindCamera)
	if err != nil || math.Abs(mw.ScoreWarn-spec.ScoreWarn) > 1.0/4096 || math.Abs(mw.ScoreRise-spec.ScoreRise) > 1.0/4096 {
		t.Fatalf("WARN threshold %v and rise level %v after the round trip, want %v and %v (%v)", mw.ScoreWarn, mw.ScoreRise, spec.ScoreWarn, spec.ScoreRise, err)
	}
	if mw.RiseFrames != 0 {
		t.Fatalf("a rise hold of %d frames nobody set", mw.RiseFrames)
	}
	spec.RiseFrames = 2
	if bw, err = Build(spec); err != nil {
		t.Fatal(err)
	}
	if mw, err = Open(context.Background(), bw, sensors.KindCamera); err != nil || mw.RiseFrames != 2 {
		t.Fatalf("rise hold %d frames after the round trip, want 2 (%v)", mw.RiseFrames, err)
	}
	for v, want := range map[int64]int{3: 3, -1: -1, 1 << 40: -1} {
		c := firmware.Calibration{Thresholds: []firmware.Threshold{{Name: ThresholdVAERiseFrames, Value: v}}}
		if got := RiseFrames(c); got != want {
			t.Errorf("recorded hold %d: RiseFrames %d, want %d", v, got, want)
		}
	}
	ps, _ := ms.Bundle.Probes()
	if len(ps) != 5 {
		t.Fatalf("%d probes", len(ps))
	}
	// The health probe score is the exact integer sum behind the float score.
	ev := h.NewEvaluator()
	s, _ := ev.Score(rows[0])
	if got := ps[3].Score; float64(got) != s*float64(h.D())*(1<<20) {
		t.Fatalf("health probe %d, score·d·2²⁰ = %v", got, s*float64(h.D())*(1<<20))
	}

	if _, err := Open(context.Background(), b, sensors.KindLidar); !errors.Is(err, ErrKind) {
		t.Fatalf("wrong kind: %v", err)
	}
	for _, n := range []int{0, 10, len(b) / 2, len(b) - 1} {
		if _, err := Open(context.Background(), b[:n], sensors.KindUnknown); !errors.Is(err, ErrBundle) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
}

// TestOpenRejectsWrongProbe: a bundle whose recorded probe score is off
// fails its self-test.
func TestOpenRejectsWrongProbe(t *testing.T) {
	m, _, frames, _ := tiny(t)
	b, err := Build(Spec{VAE: m, ProbeFrames: frames[:2]})
	if err != nil {
		t.Fatal(err)
	}
	bd, err := firmware.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := bd.Probes()
	ps[0].Score++
	pb, _ := firmware.MarshalProbes(ps)
	bd.SetSection(firmware.SectionProbes, pb)
	bad, err := bd.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var st *firmware.SelfTestError
	if _, err := Open(context.Background(), bad, sensors.KindCamera); !errors.Is(err, ErrBundle) || !errors.As(err, &st) {
		t.Fatalf("%v", err)
	}
}

func TestBuildNeedsProbes(t *testing.T) {
	m, h, frames, _ := tiny(t)
	if _, err := Build(Spec{VAE: m}); !errors.Is(err, ErrBundle) {
		t.Fatal(err)
	}
	if _, err := Build(Spec{VAE: m, Health: h, ProbeFrames: frames[:1]}); !errors.Is(err, ErrBundle) {
		t.Fatal(err)
	}
	if _, err := Build(Spec{}); !errors.Is(err, ErrBundle) {
		t.Fatal(err)
	}
}

// FuzzOpen: arbitrary bytes never panic Open.
func FuzzOpen(f *testing.F) {
	m, h, frames, rows := tiny(f)
	b, err := Build(Spec{VAE: m, Health: h, ProbeFrames: frames[:1], HealthProbes: rows[:1]})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte("TABN"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := Open(context.Background(), data, sensors.KindUnknown)
		if err == nil && ms.VAE == nil {
			t.Fatal("no error and no model")
		}
	})
}

// TestCommittedModelsOpen opens the default models (built on amd64) and
// re-runs their probes, VAE and health: run on arm64 and arm (qemu) this
// checks that the probes reproduce bit for bit on the robots.
func TestCommittedModelsOpen(t *testing.T) {
	for f, kind := range map[string]sensors.Kind{"lidar.bundle": sensors.KindLidar, "camera.bundle": sensors.KindCamera} {
		b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "models", f))
		if err != nil {
			t.Fatalf("%s: %v (run make models)", f, err)
		}
		ms, err := Open(context.Background(), b, kind)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if ms.Health == nil {
			t.Fatalf("%s has no health model", f)
		}
	}
}

func TestCoverageWarnings(t *testing.T) {
	cases := []struct {
		c    Coverage
		want int
	}{
		{Coverage{}, 0}, // not recorded
		{Coverage{Frames: 9000, Scenes: 3, Seconds: 900}, 0},
		{Coverage{Frames: 600, Scenes: 3, Seconds: 60}, 1},
		{Coverage{Frames: 9000, Scenes: 1, Seconds: 900}, 1},
		{Coverage{Frames: 600, Scenes: 1, Seconds: 60}, 2},
	}
	for _, tc := range cases {
		if got := tc.c.Warnings(); len(got) != tc.want {
			t.Errorf("%+v: warnings %q, want %d", tc.c, got, tc.want)
		}
	}
}
