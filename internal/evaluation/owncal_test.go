package evaluation

import (
	"bytes"
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

// TestSceneRun: frames made a chunk at a time are the drive's, byte for
// byte, and a drive that fails ends them with its error.
func TestSceneRun(t *testing.T) {
	ctx := t.Context()
	world := HeldOutScene{Scene: scenes.SimScene(sensors.KindCamera, 9)}
	d := scenes.DriveOptions{Width: 32, Height: 24}
	const start, n = 5, 2*sceneChunk + 7
	whole := d
	whole.Start, whole.Frames = start, n
	want, err := world.Drive(ctx, whole)
	if err != nil {
		t.Fatal(err)
	}
	var runErr error
	run := sceneRun(ctx, world, d, start, n, &runErr)
	if run.Period != want.Period {
		t.Errorf("period %v, the drive's %v", run.Period, want.Period)
	}
	i := 0
	for f := range run.Frames {
		got, w := f.(*sensors.Image), want.Frames[i].(*sensors.Image)
		if !bytes.Equal(got.Pix, w.Pix) || !got.Stamp.Equal(w.Stamp) {
			t.Fatalf("frame %d differs from the drive's", i)
		}
		i++
	}
	if runErr != nil || i != n {
		t.Fatalf("%d frames, error %v; want %d", i, runErr, n)
	}

	short := world
	short.Len = sceneChunk + 50
	i = 0
	for range sceneRun(ctx, short, d, 0, n, &runErr).Frames {
		i++
	}
	if !errors.Is(runErr, scenes.ErrTooShort) || i != sceneChunk {
		t.Fatalf("a scene of %d frames: %d frames, error %v", short.Len, i, runErr)
	}
}
