package scenes

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/internal/training"
)

func TestPlanRecordingsDrivesTheScenes(t *testing.T) {
	p := training.DefaultPlans(training.SizeTiny)[1]
	still := sceneOf(t, p.Options.Kind, OriginStill, "")
	p.SimFrames = 4
	p.Scenes, p.SceneFrames = []string{still.Name}, 3
	recs, _, err := PlanRecordings(t.Context(), p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(p.SimWorlds)+1 {
		t.Fatalf("%d recordings, want %d worlds and 1 scene", len(recs), len(p.SimWorlds))
	}
	got := recs[len(recs)-1]
	want, err := still.Drive(t.Context(), DriveOptions{Frames: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got.Dir != still.Name || got.Role != training.Split || len(got.Frames) != 3 {
		t.Fatalf("scene recording %q, role %v, %d frames", got.Dir, got.Role, len(got.Frames))
	}
	for i := range want.Frames {
		if !bytes.Equal(frameBytes(got.Frames[i]), frameBytes(want.Frames[i])) {
			t.Fatalf("frame %d differs from the scene's drive", i)
		}
	}
}

func TestPlanRecordingsRefusesUnknownScenes(t *testing.T) {
	p := training.DefaultPlans(training.SizeTiny)[1]
	p.SimFrames = 2
	p.Scenes, p.SceneFrames = []string{"still-nowhere"}, 3
	if _, _, err := PlanRecordings(t.Context(), p, ""); err == nil || !strings.Contains(err.Error(), "still-nowhere") {
		t.Fatalf("unknown scene: %v", err)
	}
	p.Scenes, p.SceneFrames = []string{"sim-world1"}, 0
	if _, _, err := PlanRecordings(t.Context(), p, ""); err == nil {
		t.Fatal("scenes with 0 frames each: no error")
	}
	p.Scenes = nil
	if _, _, err := PlanRecordings(t.Context(), p, ""); err != nil {
		t.Fatalf("no scenes: %v", err)
	}
}

func TestPlanAlarmRunsTakeNewPaths(t *testing.T) {
	p := training.DefaultPlans(training.SizeTiny)[1]
	still := sceneOf(t, p.Options.Kind, OriginStill, "")
	p.AlarmScenes, p.AlarmSceneFrames = []string{still.Name, still.Name}, 3
	runs, err := PlanAlarmRuns(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2", len(runs))
	}
	trained, err := still.Drive(t.Context(), DriveOptions{Frames: 3})
	if err != nil {
		t.Fatal(err)
	}
	var firsts [][]byte
	for i, r := range runs {
		want, err := still.Drive(t.Context(), DriveOptions{Frames: 3, Seed: uint64(AlarmSeed + i)})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for f := range r.Frames {
			if n >= len(want.Frames) || !bytes.Equal(frameBytes(f), frameBytes(want.Frames[n])) {
				t.Fatalf("run %d frame %d is not frame %d of the scene's drive with seed %d", i, n, n, AlarmSeed+i)
			}
			if n == 0 {
				firsts = append(firsts, frameBytes(f))
			}
			n++
		}
		if n != 3 || r.Period != want.Period {
			t.Fatalf("run %d: %d frames, period %v; want 3, %v", i, n, r.Period, want.Period)
		}
	}
	// Each run is a view the training drive and the other run did not take.
	if bytes.Equal(firsts[0], frameBytes(trained.Frames[0])) || bytes.Equal(firsts[0], firsts[1]) {
		t.Fatal("alarm runs repeat the training drive's view")
	}
}

func TestPlanAlarmRunsRefuseUnknownScenes(t *testing.T) {
	p := training.DefaultPlans(training.SizeTiny)[1]
	p.AlarmScenes, p.AlarmSceneFrames = []string{"still-nowhere"}, 3
	if _, err := PlanAlarmRuns(t.Context(), p); err == nil || !strings.Contains(err.Error(), "still-nowhere") {
		t.Fatalf("unknown scene: %v", err)
	}
	p.AlarmScenes, p.AlarmSceneFrames = []string{"sim-world1"}, 0
	if _, err := PlanAlarmRuns(t.Context(), p); err == nil {
		t.Fatal("alarm scenes with 0 frames each: no error")
	}
	p.AlarmScenes = nil
	if runs, err := PlanAlarmRuns(t.Context(), p); err != nil || runs != nil {
		t.Fatalf("no alarm scenes: %v, %v", runs, err)
	}
}
