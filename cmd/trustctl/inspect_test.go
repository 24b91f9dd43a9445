package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

func TestInspect(t *testing.T) {
	model := tinyModel(t, sensors.KindLidar)
	code, out, stderr := runCmd(t, "inspect", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ms, _ := openModel(t.Context(), model, sensors.KindLidar)
	for _, want := range []string{"sensor         lidar", "MACs/score", "threshold", "clean scores", fmt.Sprintf("health model   %d features", ms.Health.D()),
		"training data  sha256:", "unsigned", "probes         8, all reproduced", "created        2026-01-01T00:00:00Z"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	code, out, stderr = runCmd(t, "inspect", "--json", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Threshold != ms.VAE.Threshold() || rep.MACsPerScore <= 0 || rep.Sensor != "lidar" || len(rep.DataHash) != 64 {
		t.Fatalf("report %+v", rep)
	}
}

func TestInspectSignatureState(t *testing.T) {
	model := tinyModel(t, sensors.KindCamera)
	data, _ := os.ReadFile(model)
	key := firmwaretest.Key("fleet")
	signed, err := firmware.Sign(data, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sp := filepath.Join(dir, "s.bundle")
	os.WriteFile(sp, signed, 0o644)
	pub, _ := key.Public().MarshalText()
	pp := filepath.Join(dir, "fleet.pub")
	os.WriteFile(pp, append(pub, '\n'), 0o644)

	_, out, _ := runCmd(t, "inspect", sp)
	if !strings.Contains(out, "not checked") {
		t.Fatalf("without --pub: %s", out)
	}
	code, out, stderr := runCmd(t, "inspect", "--pub", pp, sp)
	if code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("exit %d %s %s", code, out, stderr)
	}
}

func TestInspectBadBundle(t *testing.T) {
	model := tinyModel(t, sensors.KindCamera)
	data, _ := os.ReadFile(model)
	p := filepath.Join(t.TempDir(), "t.bundle")
	os.WriteFile(p, data[:100], 0o644)
	code, _, stderr := runCmd(t, "inspect", p)
	if code != 1 || !strings.Contains(stderr, "not a usable model bundle") {
		t.Fatalf("exit %d %q", code, stderr)
	}
	if code, _, _ := runCmd(t, "inspect"); code != 2 {
		t.Fatalf("no argument: exit %d", code)
	}
}

// TestInspectRiseHold: inspect says for how many frames the committed
// default models' rises hold, as their plans set them.
func TestInspectRiseHold(t *testing.T) {
	for _, p := range training.DefaultPlans(training.SizeFull) {
		path := filepath.Join("..", "..", "deploy", "models", p.File)
		want := cmp.Or(p.RiseFrames, decision.RiseFrames)
		code, out, stderr := runCmd(t, "inspect", "--json", path)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", p.File, code, stderr)
		}
		var rep inspectReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if !(rep.ScoreRise > 0) || rep.RiseFrames != want {
			t.Errorf("%s: rise level %v held %d frames, want a level held %d", p.File, rep.ScoreRise, rep.RiseFrames, want)
		}
		if _, out, _ = runCmd(t, "inspect", path); !strings.Contains(out, fmt.Sprintf("held %d frames", want)) {
			t.Errorf("%s: inspect does not say the hold of %d frames:\n%s", p.File, want, out)
		}
	}
}
