package training

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// Size is the scale of the default-model recipe.
type Size int

const (
	// SizeFull is the shipped default models, on the default simulated
	// sensors and the real recordings.
	SizeFull Size = iota
	// SizeTiny is tiny simulated-only models on small simulated sensors (a
	// 360-column LiDAR, a 64×48 camera): seconds to make, for testing that
	// the recipe reproduces its bytes.
	SizeTiny
)

// Plan says how one default model is made.
type Plan struct {
	File      string   // bundle file name
	SimWorlds []uint64 // world seeds of the simulated drives
	CalWorlds []uint64 // of SimWorlds, the worlds whose drives only calibrate the thresholds
	SimFrames int      // frames per simulated drive
	SimSize   Size     // resolution of the simulated sensors
	// RealTrain is the fraction of the real recording used for training
	// (the rest is held out for evaluation); 0: no real recording.
	RealTrain float64
	// RealRotations is, for LiDAR, the number of turned copies of the real
	// training scans (see Rotated); 0 or 1: the scans as recorded.
	RealRotations int
	// AlarmWorlds are worlds seen neither in training nor in evaluation
	// whose clean drives of AlarmFrames frames each set the alarm
	// thresholds for the persistence rule (PlanAlarms).
	AlarmWorlds []uint64
	AlarmFrames int
	// RiseFrames is how many frames in a row the frame score's rise must
	// hold (decision.NewRise; 0: decision.RiseFrames); the rise level is
	// calibrated for it.
	RiseFrames int
	// AlarmScenes are real scenes of the scene catalogue whose clean
	// drives, AlarmSceneFrames frames each along a path of the virtual
	// sensor that training did not take (AlarmSeed), set the alarms
	// beside the AlarmWorlds' (scenes.PlanAlarmRuns).
	AlarmScenes      []string
	AlarmSceneFrames int
	// TailScales rescales the frame score's parts on the alarm worlds
	// before their alarms are set (TailScales).
	TailScales bool
	// Scenes are real scenes of the scene catalogue (package scenes, by
	// name) the model also trains on, SceneFrames frames of each; the
	// held-out scene evaluation leaves them out. PlanRecordings does not
	// drive them (scenes.PlanRecordings does).
	Scenes      []string
	SceneFrames int
	Options     Options
}

// evaluationWorlds are the simulated worlds of the soak, the held-out
// scenes and the fault tables: no default model trains or calibrates there.
var evaluationWorlds = []uint64{7, 9, 11, 12, 13, 41, 42, 101}

// cameraScenes are the photographs of the scene catalogue the default
// camera model trains on (the other photographs stay held out).
var cameraScenes = []string{
	"still-opencv-board", "still-opencv-leuvena", "still-opencv-happyfish", "still-opencv-squirrel_cls",
	"still-opencv-box_in_scene", "still-opencv-basketball1", "still-opencv-orange", "still-opencv-starry_night",
	"still-skimage-astronaut", "still-skimage-coffee", "still-skimage-rocket", "still-skimage-grass",
	"still-skimage-coins", "still-skimage-motorcycle_left",
}

// DefaultPlans are the default LiDAR and camera models, in that order.
// Sizes keep each full bundle at a few hundred KB: the bundle carries the
// float network for the baselines and re-calibration besides the
// int8/int16 one the robot runs. Their creation time is fixed, so the same
// recipe gives the same bytes.
func DefaultPlans(size Size) []Plan {
	// Both models learn from many short drives, in every world up to 37
	// that no evaluation drives in, and the camera also from photographs
	// turned into drives, so that a new street is less often new to them.
	// The LiDAR's health model, trained on as many scenes, may raise
	// ERROR. The camera's warns only: on a real scene its clipping, noise
	// and frequency-band statistics move with the view (a bright window
	// clips, a textured wall has more fine detail than a plain one), so
	// on the later, unseen views of the very photographs it trained on
	// its alarms, not the frame score's, make most of the false alarms.
	var worlds []uint64
	for w := uint64(1); w <= 37; w++ {
		if !slices.Contains(evaluationWorlds, w) {
			worlds = append(worlds, w)
		}
	}
	// Both models' alarms are set on ten minutes of clean drive in each
	// of six more worlds, so that a new street does not raise them. The
	// LiDAR's residual and health model leave the scene statistics out,
	// which keeps those alarm levels within reach of the faults. The
	// camera's health model leaves them out too, but its residual keeps
	// them: brightness spread and texture are what contrast, fog and
	// exposure faults move. Its score's parts are scaled by their clean
	// tails on the alarm worlds instead (TailScales), so that the
	// regret's tail on new views does not lift the one threshold above
	// the residual's faults.
	lidar := Plan{File: "lidar.bundle", SimWorlds: worlds, CalWorlds: []uint64{36, 37}, SimFrames: 150, RealTrain: 0.6, RealRotations: 16,
		AlarmWorlds: []uint64{38, 39, 40, 43, 44, 45}, AlarmFrames: 6000,
		Options: Options{Kind: sensors.KindLidar, Seed: 1, TargetFPR: 0.01, Hidden: 16, Latent: 8, AzBins: 32, Health: HealthError}}
	// The camera's rise holds two frames, so that a fault only the rise
	// sees enters ERROR on its fourth frame: its clean scene events pass
	// within a frame or two, and a hold of two sets its rise level little
	// higher than one of five. The LiDAR's (something close passing the
	// sensor) hold several frames at 10 Hz; it keeps five, as a short hold
	// would lift its level far above the faults' rises.
	camera := Plan{File: "camera.bundle", SimWorlds: worlds, CalWorlds: []uint64{36, 37}, SimFrames: 150, RealTrain: 0.6,
		Scenes: cameraScenes, SceneFrames: 150, AlarmWorlds: []uint64{38, 39, 40, 43, 44, 45}, AlarmFrames: 6000, TailScales: true, RiseFrames: 2,
		AlarmScenes: cameraScenes, AlarmSceneFrames: 1800,
		Options: Options{Kind: sensors.KindCamera, Seed: 1, TargetFPR: 0.01, Hidden: 16, Latent: 8, ThumbW: 24, Health: HealthWarn}}
	if size == SizeTiny {
		for _, p := range []*Plan{&lidar, &camera} {
			p.SimWorlds, p.CalWorlds, p.SimFrames, p.SimSize, p.RealTrain = []uint64{1, 2, 3}, []uint64{3}, 40, SizeTiny, 0
			p.Scenes, p.SceneFrames, p.AlarmScenes, p.AlarmSceneFrames = nil, 0, nil, 0
			// Sixty frames have no 99.9th percentile: no tail scales.
			p.AlarmWorlds, p.AlarmFrames, p.TailScales = []uint64{5}, 60, false
			p.Options.Epochs, p.Options.Hidden, p.Options.Latent, p.Options.AzBins, p.Options.ThumbW = 3, 4, 2, 8, 8
		}
	}
	for _, p := range []*Plan{&lidar, &camera} {
		p.Options.ModelID = p.Options.Kind.String() + "-default"
		p.Options.Version = 2 // 1 was trained on four worlds and one real recording
		p.Options.Created = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	}
	if size == SizeFull {
		lidar.Options.Version = 4  // 3 had no rise alarm; 2 judged the scene statistics and had no alarm worlds
		camera.Options.Version = 6 // 5's rise held five frames and its alarms saw simulated worlds alone; 4 had no rise alarm
	}
	return []Plan{lidar, camera}
}

// PlanRecordings returns the training recordings of a plan (the simulated
// drives, then the training part of the real recording, turned for LiDAR)
// and the held-out rest of the real recording. realDir is the directory of
// the real recording's frames; it is read only when p.RealTrain > 0.
func PlanRecordings(ctx context.Context, p Plan, realDir string) (train []Recording, held Recording, err error) {
	if p.RealTrain > 0 && realDir == "" {
		return nil, Recording{}, fmt.Errorf("training: the %s plan needs its real recording", p.File)
	}
	for _, seed := range p.SimWorlds {
		r, err := SimDrive(ctx, p.Options.Kind, p.SimSize, seed, 0, p.SimFrames)
		if err != nil {
			return nil, Recording{}, err
		}
		if slices.Contains(p.CalWorlds, seed) {
			r.Role = CalibrateOnly
		}
		train = append(train, r)
	}
	if p.RealTrain == 0 {
		return train, Recording{}, nil
	}
	real, held, err := splitReal(ctx, p, realDir)
	if err != nil {
		return nil, Recording{}, err
	}
	if p.Options.Kind == sensors.KindLidar && p.RealRotations > 1 {
		rot, err := Rotated(real, p.RealRotations)
		if err != nil {
			return nil, Recording{}, err
		}
		return append(train, rot...), held, nil
	}
	return append(train, real), held, nil
}

// PlanHeldOut returns the held-out rest of a plan's real recording (see
// PlanRecordings) without making its training recordings; an empty
// Recording when the plan takes no real recording.
func PlanHeldOut(ctx context.Context, p Plan, realDir string) (Recording, error) {
	if p.RealTrain == 0 {
		return Recording{}, nil
	}
	_, held, err := splitReal(ctx, p, realDir)
	return held, err
}

// splitReal loads a plan's real recording and splits it into its training
// part and the held-out rest.
func splitReal(ctx context.Context, p Plan, realDir string) (train, held Recording, err error) {
	if realDir == "" {
		return Recording{}, Recording{}, fmt.Errorf("training: the %s plan needs its real recording", p.File)
	}
	rs, err := LoadRecordings(ctx, []string{realDir}, p.Options.Kind, "")
	if err != nil {
		return Recording{}, Recording{}, err
	}
	r := rs[0]
	n := int(float64(len(r.Frames)) * p.RealTrain)
	train = Recording{Dir: r.Dir, Names: r.Names[:n], Frames: r.Frames[:n], Period: r.Period}
	held = Recording{Dir: r.Dir, Names: r.Names[n:], Frames: r.Frames[n:], Period: r.Period}
	return train, held, nil
}

// Rotated returns n copies of a LiDAR recording, copy k turned about the
// sensor's vertical axis by k·360°/n: the scans the same sensor would have
// recorded with the robot heading another way. A real capture may hold only
// a dozen revolutions; its turned copies let the model learn the real
// sensor's returns without learning one heading. Each copy is its own Split
// recording (so no statistic compares two headings) and goes through a
// KITTI round trip as a file would.
func Rotated(r Recording, n int) ([]Recording, error) {
	out := make([]Recording, 0, n)
	for k := 0; k < n; k++ {
		th := 2 * math.Pi * float64(k) / float64(n)
		c, s := math.Cos(th), math.Sin(th)
		rk := Recording{Dir: fmt.Sprintf("%s@%d°", r.Dir, k*360/n), Period: r.Period}
		for i, f := range r.Frames {
			sc, ok := f.(*sensors.Scan)
			if !ok {
				return nil, fmt.Errorf("training: rotate %s: not a scan", r.Names[i])
			}
			pts := make([]sensors.Point, len(sc.Points))
			for j, p := range sc.Points {
				x, y := float64(p.X), float64(p.Y)
				p.X, p.Y = float32(c*x-s*y), float32(s*x+c*y)
				pts[j] = p
			}
			g, err := recorded.DecodeFile(recorded.FormatKITTI, recorded.AppendKITTI(nil, pts), recorded.ModelVLP16)
			if err != nil {
				return nil, fmt.Errorf("training: rotate %s: %w", r.Names[i], err)
			}
			*g.Head() = sc.Header
			rk.Frames = append(rk.Frames, g)
			rk.Names = append(rk.Names, r.Names[i])
		}
		out = append(out, rk)
	}
	return out, nil
}

// SimDrive simulates frames [from, from+n) of a clean drive in the world
// of the seed, as they would read back from a recording directory (KITTI
// .bin round trip for scans; Received = Stamp).
func SimDrive(ctx context.Context, kind sensors.Kind, size Size, world uint64, from, n int) (Recording, error) {
	run, err := SimRun(kind, size, world, from, n)
	if err != nil {
		return Recording{}, err
	}
	r := Recording{Dir: fmt.Sprintf("sim-%s-world%d", kind, world), Period: run.Period}
	i := from
	for f := range run.Frames {
		if err := ctx.Err(); err != nil {
			return Recording{}, fmt.Errorf("training: %w", err)
		}
		r.Frames = append(r.Frames, f)
		r.Names = append(r.Names, fmt.Sprintf("%06d", i))
		i++
	}
	if len(r.Frames) != n {
		return Recording{}, fmt.Errorf("training: simulated drive in world %d: %d of %d frames", world, len(r.Frames), n)
	}
	return r, nil
}

// SimRun is SimDrive as a run: the frames are made as they are read, so a
// long drive never sits in memory. A frame that cannot be made ends the
// run early.
func SimRun(kind sensors.Kind, size Size, world uint64, from, n int) (Run, error) {
	wo := sim.DefaultWorldOptions()
	wo.Seed = world
	w, err := sim.NewWorld(wo)
	if err != nil {
		return Run{}, fmt.Errorf("training: %w", err)
	}
	var gen sim.Generator
	switch kind {
	case sensors.KindLidar:
		lo := sim.LidarOptions{Seed: world}
		if size == SizeTiny {
			lo.Columns = 360
		}
		gen, err = sim.NewLidar(w, lo)
	case sensors.KindCamera:
		co := sim.CameraOptions{Seed: world}
		if size == SizeTiny {
			co.Width, co.Height = 64, 48
		}
		gen, err = sim.NewCamera(w, co)
	default:
		err = fmt.Errorf("no simulated %v sensor", kind)
	}
	if err != nil {
		return Run{}, fmt.Errorf("training: %w", err)
	}
	frames := func(yield func(sensors.Frame) bool) {
		for i := from; i < from+n; i++ {
			f := gen.Frame(uint64(i))
			if s, ok := f.(*sensors.Scan); ok {
				g, err := recorded.DecodeFile(recorded.FormatKITTI, recorded.AppendKITTI(nil, s.Points), recorded.ModelVLP16)
				if err != nil {
					return
				}
				*g.Head() = s.Header
				f = g
			}
			f.Head().Received = f.Head().Stamp
			if !yield(f) {
				return
			}
		}
	}
	return Run{Frames: frames, Period: gen.Info().Period}, nil
}

// PlanAlarms calibrates the alarms of a plan's freshly trained bundle on
// clean drives in its AlarmWorlds and on the scene runs (the drives of its
// AlarmScenes, which scenes.PlanAlarmRuns makes; see CalibrateAlarms),
// keeping the plan's version and creation time; the bundle is returned
// unchanged when the plan has no alarm worlds.
func PlanAlarms(ctx context.Context, p Plan, bundle []byte, scenes []Run) ([]byte, *Alarms, error) {
	if len(p.AlarmWorlds) == 0 {
		return bundle, nil, nil
	}
	ms, err := modelbundle.Open(ctx, bundle, p.Options.Kind)
	if err != nil {
		return nil, nil, fmt.Errorf("training: %w", err)
	}
	var runs []Run
	for _, w := range p.AlarmWorlds {
		r, err := SimRun(p.Options.Kind, p.SimSize, w, 0, p.AlarmFrames)
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, r)
	}
	runs = append(runs, scenes...)
	al, err := CalibrateAlarms(ctx, ms, runs, AlarmOptions{TailScales: p.TailScales, RiseFrames: p.RiseFrames, Version: p.Options.Version, Created: p.Options.Created})
	if err != nil {
		return nil, nil, err
	}
	return al.Bundle, al, nil
}
