package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

func TestCalibrateSetsTheAlarmThreshold(t *testing.T) {
	kind := sensors.KindCamera
	model := tinyModel(t, kind)
	// Clean drive the model never saw: two runs in another world.
	runA := writeFrames(t, filepath.Join(t.TempDir(), "a"), simFrames(t, kind, 2, 0, 60))
	runB := writeFrames(t, filepath.Join(t.TempDir(), "b"), simFrames(t, kind, 2, 200, 60))
	out := filepath.Join(t.TempDir(), "cal.bundle")
	code, stdout, stderr := runCmd(t, "calibrate", "--model", model, "--in", runA, "--in", runB, "--out", out, "--created", "2026-01-02T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Log(stdout)
	old, err := openModel(context.Background(), model, kind)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := openModel(context.Background(), out, kind) // runs the new probes
	if err != nil {
		t.Fatal(err)
	}
	if cal.Bundle.Version != old.Bundle.Version+1 || cal.Bundle.ModelID != old.Bundle.ModelID {
		t.Errorf("version %d id %q; was %d %q", cal.Bundle.Version, cal.Bundle.ModelID, old.Bundle.Version, old.Bundle.ModelID)
	}
	if c := cal.VAE.Calibration(); c.Frames != 120 || c.TargetFPR != 0.001 {
		t.Errorf("calibration statistics %+v do not describe the 120 clean frames", c)
	}
	// Replayed through trustd's judge with the new threshold and rise
	// level, the K-of-N rule never fires on the runs it was calibrated on.
	th := cal.VAE.Threshold()
	if !(cal.ScoreRise > 0) || !strings.Contains(stdout, "frame score rise level") {
		t.Errorf("rise level %v; summary %q", cal.ScoreRise, stdout)
	}
	for _, dir := range []string{runA, runB} {
		d, err := recorded.OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		j, err := agent.NewJudge(agent.JudgeOptions{Kind: kind, Period: framePeriod(d),
			Model: agent.SensorModel{Scorer: old.VAE.NewFixedScorer(), Threshold: th, RiseLevel: cal.ScoreRise, RiseFrames: cal.RiseFrames}})
		if err != nil {
			t.Fatal(err)
		}
		rp := agent.NewReplay(j)
		for i := 0; i < d.Len(); i++ {
			f, err := d.Read(i)
			if err != nil {
				t.Fatal(err)
			}
			if v := rp.Frame(f); v.Level == agent.LevelError {
				t.Fatalf("%s: the rule fires at frame %d of a calibration run: %s", dir, i, v.Message())
			}
		}
	}
	// An advisory model stays advisory; its WARN level is set for the WARN
	// rule like any other, never below its own.
	if cal.Health == nil || cal.Health.Error != old.Health.Error || cal.Health.Warn < old.Health.Warn {
		t.Errorf("advisory health model: error %v → %v, warn %v → %v", old.Health.Error, cal.Health.Error, old.Health.Warn, cal.Health.Warn)
	}
	// Eight seconds of drive hold too few clean episodes for a tail.
	if !strings.Contains(stdout, "advisory") || !strings.Contains(stdout, "frame score threshold") || !strings.Contains(stdout, "not extrapolated") {
		t.Errorf("summary %q", stdout)
	}
	// With --health-alarms the advisory model's ERROR level is set on the
	// runs, where its alarms hold.
	ha := filepath.Join(t.TempDir(), "ha.bundle")
	code, stdout, stderr = runCmd(t, "calibrate", "--model", model, "--in", runA, "--in", runB, "--out", ha, "--health-alarms", "--created", "2026-01-02T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	hc, err := openModel(context.Background(), ha, kind)
	if err != nil {
		t.Fatal(err)
	}
	if hc.Health == nil || hc.Health.Error >= advisoryError || hc.Health.Warn > hc.Health.Error || !strings.Contains(stdout, "health ERROR threshold") {
		t.Errorf("--health-alarms: error %v, warn %v, summary %q", hc.Health.Error, hc.Health.Warn, stdout)
	}
	// For the sustained rule the WARN level stays at a clean quantile,
	// below the ERROR level, and the summary says what margin it keeps.
	sus := filepath.Join(t.TempDir(), "sus.bundle")
	code, stdout, stderr = runCmd(t, "calibrate", "--model", model, "--in", runA, "--in", runB, "--out", sus, "--sustain-k", "25", "--created", "2026-01-02T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sc, err := openModel(context.Background(), sus, kind)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "sustained rule 25 of 50") || !(sc.ScoreWarn > 0 && sc.ScoreWarn <= sc.VAE.Threshold()) {
		t.Errorf("sustained: WARN %v, ERROR %v, summary %q", sc.ScoreWarn, sc.VAE.Threshold(), stdout)
	}
}

func TestCalibrateBadInput(t *testing.T) {
	model := tinyModel(t, sensors.KindCamera)
	cam := simDir(t, sensors.KindCamera, 2, 30)
	lidar := simDir(t, sensors.KindLidar, 2, 3)
	two := writeFrames(t, filepath.Join(t.TempDir(), "two"), simFrames(t, sensors.KindCamera, 2, 0, 2))
	out := filepath.Join(t.TempDir(), "o.bundle")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--in", cam, "--out", out}, 2, "required"},
		{[]string{"--model", model, "--in", cam, "--out", out, "--version", "1"}, 2, "not above"},
		{[]string{"--model", model, "--in", cam, "--out", out, "--enter-k", "9", "--enter-n", "3"}, 2, "K="},
		{[]string{"--model", model, "--in", cam, "--out", out, "--sustain-k", "-1"}, 2, "--sustain-k"},
		{[]string{"--model", model, "--in", cam, "--out", out, "--sustain-k", "60", "--sustain-n", "50"}, 2, "SustainK="},
		{[]string{"--model", model, "--in", cam, "--out", out, "--alarm-rate", "0"}, 2, "--alarm-rate"},
		{[]string{"--model", model, "--in", cam, "--out", out, "--alarm-rate", "NaN"}, 2, "--alarm-rate"},
		{[]string{"--model", model, "--in", lidar, "--out", out}, 1, "lidar"},
		{[]string{"--model", model, "--in", two, "--out", out}, 1, "too few"},
		{[]string{"--model", filepath.Join(cam, "000000.png"), "--in", cam, "--out", out}, 1, "not a usable model bundle"},
	} {
		code, _, stderr := runCmd(t, append([]string{"calibrate"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
