package agent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// rig is a simulated robot: a VLP-16-like LiDAR and a grayscale camera on
// the same drive (package sensors/sim).
type rig struct {
	lidar *sim.Lidar
	cam   *sim.Camera
}

type rigOptions struct {
	lidarColumns int
	lidarRings   int
	camW, camH   int
	camPeriod    time.Duration
	lidarPeriod  time.Duration
	seed         uint64
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	wo := sim.DefaultWorldOptions()
	if o.seed != 0 {
		wo.Seed = o.seed
	}
	w, err := sim.NewWorld(wo)
	if err != nil {
		t.Fatal(err)
	}
	l, err := sim.NewLidar(w, sim.LidarOptions{Columns: o.lidarColumns, Rings: o.lidarRings, Period: o.lidarPeriod})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sim.NewCamera(w, sim.CameraOptions{Width: o.camW, Height: o.camH, Period: o.camPeriod})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{lidar: l, cam: c}
}

// generator is what rig sensors have in common.
type generator interface {
	Info() sensors.Info
	Frame(i uint64) sensors.Frame
}

func (r *rig) gens() []generator { return []generator{r.lidar, r.cam} }

// stretches returns the frames of g in the drive-time spans [at, at+d) for
// each at.
func stretches(g generator, d time.Duration, at ...time.Duration) [][]sensors.Frame {
	var out [][]sensors.Frame
	p := g.Info().Period
	for _, a := range at {
		from := int(a / p)
		fs := make([]sensors.Frame, int(d/p))
		for i := range fs {
			fs[i] = g.Frame(uint64(from + i))
		}
		out = append(out, fs)
	}
	return out
}

// trainHealthModel computes the health features of clean stretches of
// drive, as the agent would see them live (the window restarts with each
// stretch), and trains the autoencoder; the last stretch ends up in the
// calibration block.
func trainHealthModel(t testing.TB, g generator, chunks [][]sensors.Frame) *health.Model {
	t.Helper()
	sf, err := health.NewSensorFeatures(g.Info().Kind, g.Info().Period)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float64
	for _, clean := range chunks {
		sf.Reset()
		for _, f := range clean {
			v, err := sf.Next(nil, f)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, v)
		}
	}
	m, _, err := health.Train(rows, sf.Names(), health.TrainOptions{ID: "health-" + g.Info().Name, Seed: 1, Epochs: 150})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// replaySource is an Info-only Source: the virtual driver delivers frames.
type replaySource struct{ staticSource }

// buildAgent makes an agent over the given sensors with their models.
func buildAgent(t testing.TB, gens []generator, models []SensorModel, clk Clock, dec decision.Options) *Agent {
	t.Helper()
	var so []SensorOptions
	for i, g := range gens {
		so = append(so, SensorOptions{Source: replaySource{staticSource{g.Info()}}, Model: models[i], Decision: dec})
	}
	a, err := New(Options{Robot: "sim", Sensors: so, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// change is one entry of a level timeline.
type change struct {
	at     time.Duration // from the scenario start
	sensor string        // sensor name or "summary"
	level  level.Level
	cause  level.Cause
	reason string
}

func (c change) String() string {
	cause := string(c.cause)
	if cause == "" {
		cause = "-"
	}
	r := c.reason
	if r == "" {
		r = "-"
	}
	return fmt.Sprintf("%7.2fs %-8s %-5s %-11s %s", c.at.Seconds(), c.sensor, c.level, cause, r)
}

// labelled is a delivered frame with the faults in force on it.
type labelled struct {
	sensor int
	frame  sensors.Frame
	active []faults.Label
}

// play runs a scenario in virtual time: frames [startIdx…) of each sensor,
// starting at the same scenario time zero, for dur. onFrame is called after
// each delivered frame (may be nil). It returns the timeline of changes.
func play(t testing.TB, a *Agent, clk *fakeClock, gens []generator, sc *faults.Scenario, start time.Duration, dur time.Duration, onFrame func(now time.Time, lf labelled)) []change {
	t.Helper()
	players := make([]*faults.Player, len(gens))
	next := make([]uint64, len(gens))
	t0 := sim.Epoch().Add(start)
	for i, g := range gens {
		p, err := faults.NewPlayer(sc, g.Info(), t0)
		if err != nil {
			t.Fatal(err)
		}
		players[i] = p
		next[i] = uint64(start / g.Info().Period)
	}
	v := newVirtual(a, clk, t0)
	var out []change
	last := map[string]change{}
	record := func(now time.Time) {
		for _, p := range a.pipes {
			st := p.judge.Snapshot().State
			c := change{at: now.Sub(t0), sensor: p.name, level: st.Level, cause: st.Cause}
			if len(st.Reasons) > 0 && st.Level != level.OK {
				// The code only: which health feature ranks first moves with
				// every change to likelihood/features.
				c.reason = string(st.Reasons[0].Code)
			}
			if l, ok := last[p.name]; !ok || l.level != c.level || l.cause != c.cause {
				out = append(out, c)
				last[p.name] = c
			}
		}
		s := a.summary
		c := change{at: now.Sub(t0), sensor: "summary", level: s.Level, cause: s.Cause}
		if l, ok := last["summary"]; !ok || l.level != c.level || l.cause != c.cause {
			out = append(out, c)
			last["summary"] = c
		}
	}
	v.observe = record
	end := t0.Add(dur)
	for {
		// The sensor whose next raw frame is received first goes next.
		best := -1
		var bestAt time.Time
		for i, g := range gens {
			f := g.Frame(next[i]).Head()
			if best < 0 || f.Received.Before(bestAt) {
				best, bestAt = i, f.Received
			}
		}
		if !bestAt.Before(end) {
			break
		}
		f := gens[best].Frame(next[best])
		next[best]++
		for _, o := range players[best].Push(f) {
			v.deliver(best, o.Frame)
			if onFrame != nil {
				onFrame(v.now, labelled{sensor: best, frame: o.Frame, active: o.Active})
			}
		}
	}
	v.advance(end)
	return out
}

func timelineText(cs []change) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}
