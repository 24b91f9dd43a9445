package scenes

import (
	"context"
	"fmt"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// simScene is the procedural world of the seed seen by a sensor of kind.
func simScene(kind sensors.Kind, world uint64) Scene {
	s := Scene{Name: fmt.Sprintf("sim-world%d", world), Kind: kind, Origin: OriginSim, world: world,
		Source: fmt.Sprintf("procedural world %d of package sim, default drive", world)}
	if kind == sensors.KindLidar {
		s.Period = LidarPeriod
		s.Source += ", simulated VLP-16"
	} else {
		s.Period = CameraPeriod
		s.Source += ", simulated gray camera"
	}
	return s
}

// simFrames renders the frames of a procedural world's drive. With the
// default seed and camera size they are training.SimDrive's frames.
func simFrames(ctx context.Context, s Scene, o DriveOptions) ([]sensors.Frame, error) {
	wo := sim.DefaultWorldOptions()
	wo.Seed = s.world
	w, err := sim.NewWorld(wo)
	if err != nil {
		return nil, fmt.Errorf("scenes: %s: %w", s.Name, err)
	}
	seed := o.Seed
	if seed == 0 {
		seed = s.world
	}
	var gen sim.Generator
	if s.Kind == sensors.KindLidar {
		gen, err = sim.NewLidar(w, sim.LidarOptions{Seed: seed, Period: s.Period})
	} else {
		gen, err = sim.NewCamera(w, sim.CameraOptions{Seed: seed, Width: o.Width, Height: o.Height, Period: s.Period})
	}
	if err != nil {
		return nil, fmt.Errorf("scenes: %s: %w", s.Name, err)
	}
	return generate(ctx, o.Frames, func(k int) (sensors.Frame, error) {
		f := gen.Frame(uint64(o.Start + k))
		if sc, ok := f.(*sensors.Scan); ok {
			g, err := asFile(sc.Points)
			if err != nil {
				return nil, fmt.Errorf("scenes: %s: %w", s.Name, err)
			}
			return g, nil
		}
		return f, nil
	})
}
