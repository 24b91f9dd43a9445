package evaluation

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
)

// Set is one held-out clean recording and the model judged on it.
type Set struct {
	Name   string
	Model  string // the bundle's path, as the results name it
	Models *modelbundle.Models
	Clean  training.Recording
	World  uint64 // simulated world of Clean; 0 for a real recording
	// Baselines are the baseline scorers to compare; nil: every one.
	Baselines []string
}

// EvaluateSets injects every catalogue content fault of the model's sensor
// at every severity (with seed) into each set's clean recording, after a
// clean lead-in (FaultStream), and evaluates the model on them with every
// baseline and the daemon's default judge settings. It returns one
// evaluation per set, in order; the tables' captions name the set. progress,
// when not nil, is called after each frame scored, with the set's name as
// the stage.
func EvaluateSets(ctx context.Context, sets []Set, seed uint64, progress func(stage string, done, total int)) ([]*Evaluation, error) {
	var out []*Evaluation
	for _, s := range sets {
		ms := s.Models
		kind := ms.VAE.Kind()
		class := faults.ClassLidar
		if kind == sensors.KindCamera {
			class = faults.ClassCamera
		}
		var names []string
		for _, sp := range faults.Catalogue() {
			if sp.Class == class {
				names = append(names, sp.Name)
			}
		}
		sort.Strings(names)
		// The faulted recordings are made one at a time as they are scored.
		next := func(i int) (Faulted, error) {
			name, sev := names[i/3], 1+i%3
			inj, err := faults.New(kind, faults.Config{Fault: name, Severity: sev, Seed: seed, Period: s.Clean.Period})
			if err != nil {
				return Faulted{}, err
			}
			r := training.Recording{Dir: fmt.Sprintf("%s_s%d", name, sev), Period: s.Clean.Period}
			frames, altered, lead := FaultStream(s.Clean.Frames, inj)
			labels := make([]Label, len(frames))
			for i := range frames {
				r.Names = append(r.Names, fmt.Sprintf("%06d", i))
				labels[i] = Label{Fault: "none"}
				if i >= lead {
					labels[i] = Label{Fault: name, Severity: sev, Altered: altered[i]}
				}
			}
			r.Frames = frames
			return Faulted{Recording: r, Labels: labels}, nil
		}
		// Every baseline, and the daemon's default judge settings.
		o := Options{Baselines: Baselines()}
		if s.Baselines != nil {
			o.Baselines = s.Baselines
		}
		if progress != nil {
			o.Progress = func(_ string, done, total int) { progress(s.Name, done, total) }
		}
		n := 3 * len(names)
		e, err := evaluateStreams(ctx, ms, s.Model, s.Clean, n, next, len(s.Clean.Frames)*(1+n), o, s.Name)
		if err != nil {
			return nil, err
		}
		where := ""
		if s.World != 0 {
			where = fmt.Sprintf(" in world %d", s.World)
		}
		lat := "most missed"
		if m := e.Result.MedianLatency; m != nil {
			lat = fmt.Sprintf("%.3g frames", *m)
		}
		e.Table.Caption = fmt.Sprintf("**%s** (%d held-out clean frames%s, model %s, threshold %.4g, fault seed %d; median detection latency at severity ≥ 2: %s over %d faults)",
			s.Name, len(s.Clean.Frames), where, filepath.Base(s.Model), e.Result.Threshold, seed, lat, e.Result.LatencyEpisodes)
		out = append(out, e)
	}
	return out, nil
}

// FaultStream passes frames through inj after a clean lead-in of a fifth of
// them (an onset, so that the decision's detection latency can be
// measured), flushing inj at the end. For each output frame it reports
// whether the fault altered it; the first lead outputs are the lead-in.
func FaultStream(frames []sensors.Frame, inj faults.Injector) (out []sensors.Frame, altered []bool, lead int) {
	lead = len(frames) / 5
	out, altered = append(out, frames[:lead]...), make([]bool, lead)
	push := func(in sensors.Frame, outs []sensors.Frame) {
		for _, o := range outs {
			out, altered = append(out, o), append(altered, o != in)
		}
	}
	for _, f := range frames[lead:] {
		push(f, inj.Inject(f))
	}
	push(nil, inj.Flush())
	return out, altered, lead
}
