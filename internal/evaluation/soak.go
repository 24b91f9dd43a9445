package evaluation

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/report"
	"github.com/sensortrust/trustagent/internal/scenes"
	"github.com/sensortrust/trustagent/internal/training"
)

// Soak is what a judge did on a long clean stream.
type Soak struct {
	Sensor    string
	Frames    int
	Hours     float64 // stream time
	Errors    int     // entries into ERROR
	Warns     int     // entries into WARN
	Untrusted float64 // fraction of frames judged untrusted (ERROR or STALE)
	WarnTime  float64 // fraction of frames judged WARN
	// Causes counts the entries into ERROR by their first reason's code.
	Causes map[string]int
}

// ErrorsPerHour is the rate of entries into ERROR.
func (s Soak) ErrorsPerHour() float64 { return float64(s.Errors) / s.Hours }

// WarnsPerHour is the rate of entries into WARN.
func (s Soak) WarnsPerHour() float64 { return float64(s.Warns) / s.Hours }

// String says the soak in one line.
func (s Soak) String() string {
	return fmt.Sprintf("%s: %d frames (%.2f h): %d entries into ERROR (%.2f/h), %d into WARN (%.1f/h), untrusted %.2f %%, WARN %.2f %% of frames, ERROR causes %v",
		s.Sensor, s.Frames, s.Hours, s.Errors, s.ErrorsPerHour(), s.Warns, s.WarnsPerHour(), 100*s.Untrusted, 100*s.WarnTime, s.Causes)
}

// CleanSoak judges a clean run with the model as trustd would judge it
// live (the judge driven on the stream's clock, Replay), without keeping
// the frames, and counts the entries into ERROR and WARN; sensor names
// the run. The first frame's entry (from STALE, nothing judged yet) is not
// counted. The frames should be clean: every entry counted is a false
// alarm.
func CleanSoak(ctx context.Context, ms *modelbundle.Models, sensor string, run training.Run, o JudgeOptions) (Soak, error) {
	rp, err := NewReplay(ms, run.Period, o)
	if err != nil {
		return Soak{}, err
	}
	s := Soak{Sensor: sensor, Causes: map[string]int{}}
	var untrusted, warn int
	var first, last time.Time
	n := 0
	for f := range run.Frames {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return Soak{}, err
			}
		}
		h := f.Head()
		if n == 0 {
			first = h.Stamp
		}
		last = h.Stamp
		v := rp.Frame(f)
		n++
		if !v.Trusted {
			untrusted++
		}
		if v.Level == agent.LevelWarn {
			warn++
		}
		if !v.Changed || n == 1 {
			continue
		}
		switch v.Level {
		case agent.LevelError:
			s.Errors++
			if len(v.Reasons) > 0 {
				s.Causes[string(v.Reasons[0].Code)]++
			}
		case agent.LevelWarn:
			s.Warns++
		}
	}
	if n == 0 {
		return Soak{}, fmt.Errorf("evaluation: soak %s: no frames", sensor)
	}
	s.Frames = n
	s.Hours = last.Sub(first).Hours() + run.Period.Hours()
	s.Untrusted, s.WarnTime = float64(untrusted)/float64(n), float64(warn)/float64(n)
	return s, nil
}

// Total sums soaks of one sensor (several worlds) into one.
func Total(sensor string, ss []Soak) Soak {
	t := Soak{Sensor: sensor, Causes: map[string]int{}}
	var untrusted, warn float64
	for _, s := range ss {
		t.Frames += s.Frames
		t.Hours += s.Hours
		t.Errors += s.Errors
		t.Warns += s.Warns
		untrusted += s.Untrusted * float64(s.Frames)
		warn += s.WarnTime * float64(s.Frames)
		for c, n := range s.Causes {
			t.Causes[c] += n
		}
	}
	if t.Frames > 0 {
		t.Untrusted, t.WarnTime = untrusted/float64(t.Frames), warn/float64(t.Frames)
	}
	return t
}

// SoakTable is a table of soaks, one per row.
func SoakTable(ss []Soak) report.Table {
	t := report.Table{Header: []string{"drive", "frames", "hours", "entries into ERROR", "per hour", "entries into WARN", "per hour", "frames untrusted", "frames WARN", "ERROR causes"}}
	for _, s := range ss {
		var causes []string
		for c, n := range s.Causes {
			causes = append(causes, fmt.Sprintf("%s %d", c, n))
		}
		slices.Sort(causes)
		t.Rows = append(t.Rows, []string{s.Sensor, strconv.Itoa(s.Frames), strconv.FormatFloat(s.Hours, 'f', 3, 64), strconv.Itoa(s.Errors), strconv.FormatFloat(s.ErrorsPerHour(), 'f', 2, 64),
			strconv.Itoa(s.Warns), strconv.FormatFloat(s.WarnsPerHour(), 'f', 1, 64), pct(s.Untrusted), pct(s.WarnTime), joinOr(causes, "-")})
	}
	return t
}

// SoakWorlds runs CleanSoak on d of clean drive of the default simulated
// sensor of the model's kind in each world, in order.
func SoakWorlds(ctx context.Context, ms *modelbundle.Models, worlds []uint64, d time.Duration, o JudgeOptions) ([]Soak, error) {
	kind := ms.VAE.Kind()
	var ss []Soak
	for _, w := range worlds {
		run, err := training.SimRun(kind, training.SizeFull, w, 0, 0)
		if err != nil {
			return nil, err
		}
		if run, err = training.SimRun(kind, training.SizeFull, w, 0, int(d/run.Period)); err != nil {
			return nil, err
		}
		s, err := CleanSoak(ctx, ms, fmt.Sprintf("%s, world %d", kind, w), run, o)
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, nil
}

// SoakScenes runs CleanSoak on the first frames of each scene's clean
// drive (all of a recording that holds fewer), in order, made a chunk at a
// time as they are judged; each soak is named after its scene.
func SoakScenes(ctx context.Context, ms *modelbundle.Models, list []HeldOutScene, frames int, o JudgeOptions) ([]Soak, error) {
	var ss []Soak
	for _, sc := range list {
		n := frames
		if sc.Len > 0 {
			n = min(n, sc.Len)
		}
		frames, driveErr := sc.Chunked(ctx, scenes.DriveOptions{Frames: n})
		s, err := CleanSoak(ctx, ms, sc.Name, training.Run{Frames: frames, Period: sc.Period}, o)
		if derr := driveErr(); derr != nil {
			return nil, fmt.Errorf("scene %s: %w", sc.Name, derr)
		}
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, nil
}
