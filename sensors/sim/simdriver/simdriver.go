package simdriver

import (
	"fmt"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// LidarOptions are the keys of a sim-lidar sensor entry.
type LidarOptions struct {
	Seed int64 `yaml:"seed"` // world and noise seed (0: 1)
	// Scenario is a fault scenario file, "default" for the built-in one,
	// or empty for a clean stream.
	Scenario string `yaml:"scenario"`
}

// CameraOptions are the keys of a sim-camera sensor entry.
type CameraOptions struct {
	Seed     int64  `yaml:"seed"`     // world and noise seed (0: 1)
	Scenario string `yaml:"scenario"` // as in LidarOptions
	Width    int    `yaml:"width"`    // pixels (default 320)
	Height   int    `yaml:"height"`   // pixels (default 240)
}

// Drivers are sim-lidar and sim-camera. Building one builds its world and
// reads its scenario file; nothing runs before Run.
func Drivers() []sensorreg.Driver {
	return []sensorreg.Driver{
		sensorreg.New("sim-lidar", func() LidarOptions { return LidarOptions{} },
			func(s sensorreg.Sensor, o LidarOptions) (sensors.Source, error) {
				w, seed, err := world(o.Seed)
				if err != nil {
					return nil, err
				}
				gen, err := sim.NewLidar(w, sim.LidarOptions{Name: s.Name, Seed: seed, Period: s.Period})
				if err != nil {
					return nil, err
				}
				return wrap(s, gen, o.Scenario)
			}),
		sensorreg.New("sim-camera", func() CameraOptions { return CameraOptions{} },
			func(s sensorreg.Sensor, o CameraOptions) (sensors.Source, error) {
				if o.Width < 0 || o.Width > 8192 {
					return nil, sensorreg.Keyf("width", "%d is outside 0..8192", o.Width)
				}
				if o.Height < 0 || o.Height > 8192 {
					return nil, sensorreg.Keyf("height", "%d is outside 0..8192", o.Height)
				}
				w, seed, err := world(o.Seed)
				if err != nil {
					return nil, err
				}
				gen, err := sim.NewCamera(w, sim.CameraOptions{Name: s.Name, Seed: seed, Width: o.Width, Height: o.Height, Period: s.Period})
				if err != nil {
					return nil, err
				}
				return wrap(s, gen, o.Scenario)
			}),
	}
}

func world(seed int64) (*sim.World, uint64, error) {
	u := uint64(seed)
	if u == 0 {
		u = 1
	}
	opts := sim.DefaultWorldOptions()
	opts.Seed = u
	w, err := sim.NewWorld(opts)
	if err != nil {
		return nil, 0, sensorreg.Key("seed", err)
	}
	return w, u, nil
}

// wrap paces gen in real time from s.Start and applies the scenario.
func wrap(s sensorreg.Sensor, gen sim.Generator, scenario string) (sensors.Source, error) {
	src, err := sim.NewSource(gen, sim.SourceOptions{Pacing: sim.RealTime, Start: s.Start})
	if err != nil {
		return nil, fmt.Errorf("simdriver: %w", err)
	}
	if scenario == "" {
		return src, nil
	}
	var sc *faults.Scenario
	if scenario == "default" {
		sc, err = faults.Default()
	} else {
		sc, err = faults.LoadScenario(scenario)
	}
	if err != nil {
		return nil, sensorreg.Key("scenario", err)
	}
	fs, err := faults.Wrap(src, sc, faults.WrapOptions{Start: s.Start})
	if err != nil {
		return nil, sensorreg.Key("scenario", err)
	}
	return fs, nil
}
