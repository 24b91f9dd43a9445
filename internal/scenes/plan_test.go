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
