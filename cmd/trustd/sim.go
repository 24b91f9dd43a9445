package main

import (
	"fmt"
	"time"

	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// simSet builds the simulated sensors of one configuration: sensors with the
// same seed look at the same world, and every scenario starts at the same
// instant, so that a fault scheduled on two sensors hits both together.
type simSet struct {
	start  time.Time
	worlds map[uint64]*sim.World
}

func newSimSet(start time.Time) *simSet {
	return &simSet{start: start, worlds: map[uint64]*sim.World{}}
}

func (ss *simSet) world(seed uint64) (*sim.World, error) {
	if w, ok := ss.worlds[seed]; ok {
		return w, nil
	}
	opts := sim.DefaultWorldOptions()
	opts.Seed = seed
	w, err := sim.NewWorld(opts)
	if err != nil {
		return nil, err
	}
	ss.worlds[seed] = w
	return w, nil
}

func (ss *simSet) source(s config.Sensor) (sensors.Source, error) {
	seed := uint64(s.Seed)
	if seed == 0 {
		seed = 1
	}
	w, err := ss.world(seed)
	if err != nil {
		return nil, fmt.Errorf("sensor %s: %w", s.Name, err)
	}
	var gen sim.Generator
	switch s.Driver {
	case "sim-lidar":
		gen, err = sim.NewLidar(w, sim.LidarOptions{Name: s.Name, Seed: seed, Period: s.Period})
	case "sim-camera":
		gen, err = sim.NewCamera(w, sim.CameraOptions{Name: s.Name, Seed: seed, Width: s.Width, Height: s.Height, Period: s.Period})
	default:
		return nil, fmt.Errorf("sensor %s: %q is not a simulated driver", s.Name, s.Driver)
	}
	if err != nil {
		return nil, fmt.Errorf("sensor %s: %w", s.Name, err)
	}
	src, err := sim.NewSource(gen, sim.SourceOptions{Pacing: sim.RealTime, Start: ss.start})
	if err != nil {
		return nil, fmt.Errorf("sensor %s: %w", s.Name, err)
	}
	if s.Scenario == "" {
		return src, nil
	}
	var sc *faults.Scenario
	if s.Scenario == "default" {
		sc, err = faults.Default()
	} else {
		sc, err = faults.LoadScenario(s.Scenario)
	}
	if err != nil {
		return nil, fmt.Errorf("sensor %s: scenario: %w", s.Name, err)
	}
	return faults.Wrap(src, sc, faults.WrapOptions{Start: ss.start})
}
