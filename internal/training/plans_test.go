package training

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

func TestDefaultPlans(t *testing.T) {
	for _, size := range []Size{SizeFull, SizeTiny} {
		plans := DefaultPlans(size)
		if len(plans) != 2 || plans[0].Options.Kind != sensors.KindLidar || plans[1].Options.Kind != sensors.KindCamera {
			t.Fatalf("size %d: plans %+v", size, plans)
		}
		for _, p := range plans {
			if err := p.Options.Validate(); err != nil {
				t.Errorf("%s: %v", p.File, err)
			}
			if p.Options.Created.IsZero() || p.Options.ModelID != p.Options.Kind.String()+"-default" {
				t.Errorf("%s: created %v, id %q", p.File, p.Options.Created, p.Options.ModelID)
			}
			for _, w := range p.CalWorlds {
				if !slices.Contains(p.SimWorlds, w) {
					t.Errorf("%s: calibration world %d is not simulated", p.File, w)
				}
			}
			for _, w := range p.AlarmWorlds {
				if slices.Contains(p.SimWorlds, w) {
					t.Errorf("%s: alarm world %d is also a training world", p.File, w)
				}
			}
			// The worlds of the soak, the held-out scenes and the fault
			// tables stay unseen.
			for _, w := range []uint64{7, 9, 11, 12, 13, 41, 42, 101} {
				if slices.Contains(p.SimWorlds, w) || slices.Contains(p.AlarmWorlds, w) {
					t.Errorf("%s: evaluation world %d is seen in training or alarm calibration", p.File, w)
				}
			}
			if size == SizeTiny && (p.RealTrain != 0 || p.SimSize != SizeTiny) {
				t.Errorf("%s: the tiny plan takes real frames or full-size sensors", p.File)
			}
		}
	}
}

func TestPlanRecordingsTiny(t *testing.T) {
	p := DefaultPlans(SizeTiny)[1]
	p.SimFrames = 5
	recs, held, err := PlanRecordings(t.Context(), p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(p.SimWorlds) || held.Frames != nil {
		t.Fatalf("%d recordings, held %d frames", len(recs), len(held.Frames))
	}
	for i, r := range recs {
		cal := slices.Contains(p.CalWorlds, p.SimWorlds[i])
		if len(r.Frames) != 5 || (r.Role == CalibrateOnly) != cal {
			t.Errorf("world %d: %d frames, role %v", p.SimWorlds[i], len(r.Frames), r.Role)
		}
	}
	if _, _, err := PlanRecordings(t.Context(), DefaultPlans(SizeFull)[0], ""); err == nil || !strings.Contains(err.Error(), "real recording") {
		t.Fatalf("full plan without its real recording: %v", err)
	}
}

func TestRotated(t *testing.T) {
	r := drive(t, sensors.KindLidar, 1, 2)
	rot, err := Rotated(r, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(rot) != 4 || rot[1].Dir != r.Dir+"@90°" || !slices.Equal(rot[1].Names, r.Names) || rot[1].Role != Split {
		t.Fatalf("%d copies, second %q", len(rot), rot[1].Dir)
	}
	a, b := r.Frames[0].(*sensors.Scan), rot[1].Frames[0].(*sensors.Scan)
	if len(a.Points) != len(b.Points) || a.Stamp != b.Stamp {
		t.Fatalf("%d points turned into %d, stamp %v to %v", len(a.Points), len(b.Points), a.Stamp, b.Stamp)
	}
	for i, p := range a.Points {
		q := b.Points[i]
		// 90°: (x, y) → (−y, x), to float32 precision.
		if math.Abs(float64(q.X+p.Y)) > 1e-4 || math.Abs(float64(q.Y-p.X)) > 1e-4 || q.Z != p.Z {
			t.Fatalf("point %d: %+v turned to %+v", i, p, q)
		}
	}
	cam := drive(t, sensors.KindCamera, 1, 1)
	if _, err := Rotated(cam, 2); err == nil {
		t.Fatal("turned a camera recording")
	}
}
