package evaluation

import (
	"errors"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/internal/scenes"
	"github.com/sensortrust/trustagent/sensors"
)

func TestOwnCalibration(t *testing.T) {
	ms := tinyCamera(t)
	ctx := t.Context()
	world := HeldOutScene{Scene: scenes.SimScene(sensors.KindCamera, 7)}
	short := world
	short.Len = 300
	o := OwnOptions{Calibrate: 250, Soak: 40, Scenes: SceneOptions{Drive: scenes.DriveOptions{Frames: 30, Width: 64, Height: 48}, FaultSeed: 7}}
	rs, err := OwnCalibration(ctx, ms, "tiny", []HeldOutScene{world, short}, o)
	if err != nil {
		t.Fatal(err)
	}
	// The short scene holds 300 of the 320 frames asked for: left out.
	if len(rs) != 1 {
		t.Fatalf("%d results, want the one scene long enough", len(rs))
	}
	r := rs[0]
	if r.Scene != "sim-world7" || r.Soak.Frames != 40 || r.CleanFrames != 30 || r.Threshold != ms.VAE.Threshold() {
		t.Fatalf("result %+v", r)
	}
	// The alarms are the scene's own: set on its drive, not the model's.
	if !(r.OwnThreshold > 0) || r.OwnThreshold == r.Threshold {
		t.Fatalf("threshold %v after calibration, model's %v", r.OwnThreshold, r.Threshold)
	}
	tab := OwnCalibrationTable("tiny", rs)
	if len(tab.Rows) != 1 || !strings.Contains(strings.Join(tab.Rows[0], "|"), "→") {
		t.Fatalf("table %+v", tab)
	}
	o.Soak = 0
	if _, err := OwnCalibration(ctx, ms, "tiny", []HeldOutScene{world}, o); !errors.Is(err, ErrOptions) {
		t.Fatalf("no soak frames: %v", err)
	}
}
