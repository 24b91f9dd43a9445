package evaluation

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/scenes"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

// tinyCamera trains a tiny camera model on two small simulated drives.
func tinyCamera(t *testing.T) *modelbundle.Models {
	t.Helper()
	ctx := context.Background()
	var recs []training.Recording
	for _, w := range []uint64{1, 2} {
		r, err := training.SimDrive(ctx, sensors.KindCamera, training.SizeTiny, w, 0, 60)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	o := training.DefaultOptions(sensors.KindCamera)
	o.Epochs, o.Hidden, o.Latent, o.ThumbW = 3, 4, 2, 8
	o.Created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	res, err := training.Train(ctx, recs, o)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := modelbundle.Open(ctx, res.Bundle, sensors.KindCamera)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestHeldOutScenesLeaveTheModelsWorldsOut(t *testing.T) {
	for _, p := range training.DefaultPlans(training.SizeFull) {
		list, _ := HeldOutScenes(context.Background(), p, 2)
		if len(list) == 0 {
			t.Fatalf("%s: no scenes", p.File)
		}
		stills := 0
		for _, s := range list {
			if s.Kind != p.Options.Kind {
				t.Errorf("%s: scene %s is a %v scene", p.File, s.Name, s.Kind)
			}
			for _, w := range slices.Concat(p.SimWorlds, p.AlarmWorlds) {
				if s.Name == scenes.SimScene(p.Options.Kind, w).Name {
					t.Errorf("%s: world %d is one the model saw", p.File, w)
				}
			}
			if s.Origin == scenes.OriginStill {
				stills++
			}
			if s.Name == "capture-einride" || s.Name == "video-vtest" || slices.Contains(p.Scenes, s.Name) {
				t.Errorf("%s: scene %s is one the model trained on", p.File, s.Name)
			}
		}
		if stills > 2 {
			t.Errorf("%s: %d stills, asked for at most 2", p.File, stills)
		}
	}
}

func TestEvaluateScenesAndSoak(t *testing.T) {
	ms := tinyCamera(t)
	ctx := context.Background()
	list := []HeldOutScene{{Scene: scenes.SimScene(sensors.KindCamera, 7)}}
	rs, err := EvaluateScenes(ctx, ms, "tiny", list, SceneOptions{Drive: scenes.DriveOptions{Frames: 30, Width: 64, Height: 48}, FaultSeed: 7})
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if len(rs) != 1 || r.Scene != "sim-world7" || r.Real || r.CleanFrames != 30 || r.Worst == "" || math.IsInf(r.WorstUntrusted, 0) {
		t.Fatalf("results %+v", rs)
	}
	for i := range 3 {
		if !(r.AUROC[i] >= 0 && r.AUROC[i] <= 1) || !(r.Untrusted[i] >= 0 && r.Untrusted[i] <= 1) || !(r.HealthAUROC[i] >= 0 && r.HealthAUROC[i] <= 1) || !(r.JudgeAUROC[i] >= 0 && r.JudgeAUROC[i] <= 1) {
			t.Fatalf("severity %d: %+v", i+1, r)
		}
	}
	tab := ScenesTable("tiny", rs)
	if len(tab.Rows) != 1 || tab.Rows[0][0] != "sim-world7" {
		t.Fatalf("table %+v", tab)
	}
	// A tiny model misses the targets somewhere; the table says where.
	if !strings.Contains(strings.Join(tab.Rows[0], "|"), "✗") {
		t.Errorf("no target marked missed: %q", tab.Rows[0])
	}

	run, err := training.SimRun(sensors.KindCamera, training.SizeTiny, 7, 0, 150)
	if err != nil {
		t.Fatal(err)
	}
	s, err := CleanSoak(ctx, ms, "cam", run, JudgeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Frames != 150 || math.Abs(s.Hours-10.0/3600) > 1e-9 || s.Untrusted < 0 || s.Untrusted > 1 {
		t.Fatalf("soak %+v", s)
	}
	tot := Total("cam", []Soak{s, s})
	if tot.Frames != 300 || tot.Errors != 2*s.Errors || tot.Warns != 2*s.Warns || tot.Untrusted != s.Untrusted {
		t.Fatalf("total %+v of %+v", tot, s)
	}
	if len(SoakTable([]Soak{s, tot}).Rows) != 2 {
		t.Fatal("soak table")
	}

	// A scene's soak is named after it and stops where a recording ends.
	short := list[0]
	short.Len = 25
	ss, err := SoakScenes(ctx, ms, []HeldOutScene{list[0], short}, 40, JudgeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || ss[0].Sensor != "sim-world7" || ss[0].Frames != 40 || ss[1].Frames != 25 {
		t.Fatalf("scene soaks %+v", ss)
	}
}

// TestScenesTableLatency: the median latency is a target of its own.
func TestScenesTableLatency(t *testing.T) {
	good := SceneResult{Scene: "a", CleanFrames: 100, AUROC: [3]float64{1, 1, 1}, Untrusted: [3]float64{1, 1, 1}, Worst: "fog 2", WorstUntrusted: 1}
	two, four := 2.0, 4.0
	fast, slow, missed := good, good, good
	fast.MedianLatency, slow.MedianLatency = &two, &four
	tab := ScenesTable("latency", []SceneResult{fast, slow, missed})
	want := []struct{ lat, met string }{
		{"2.0", "clean, faults, AUROC, latency"},
		{"4.0 ✗", "clean, faults, AUROC"},
		{"most missed ✗", "clean, faults, AUROC"},
	}
	for i, w := range want {
		row := tab.Rows[i]
		if got, met := row[len(row)-2], row[len(row)-1]; got != w.lat || met != w.met {
			t.Errorf("row %d: latency %q, targets %q; want %q, %q", i, got, met, w.lat, w.met)
		}
	}
}
