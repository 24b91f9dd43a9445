package evaluation

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/report"
	"github.com/sensortrust/trustagent/internal/scenes"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

func TestScenesManual(t *testing.T) {
	dir := os.Getenv("SCENES")
	if dir == "" {
		t.Skip()
	}
	for i, k := range []sensors.Kind{sensors.KindLidar, sensors.KindCamera} {
		if os.Getenv("KIND") != "" && os.Getenv("KIND") != k.String() {
			continue
		}
		p := training.DefaultPlans(training.SizeFull)[i]
		data, _ := os.ReadFile(dir + "/" + p.File)
		ms, err := modelbundle.Open(context.Background(), data, k)
		if err != nil {
			t.Fatal(err)
		}
		list, miss := HeldOutScenes(context.Background(), p, 6)
		t.Logf("%d scenes, missing %v", len(list), miss)
		t0 := time.Now()
		rs, err := EvaluateScenes(context.Background(), ms, p.File, list, SceneOptions{Drive: scenes.DriveOptions{Frames: 100}, FaultSeed: 7})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		report.Markdown(&b, ScenesTable(k.String(), rs))
		t.Logf("%v\n%s", time.Since(t0), b.String())
	}
}
