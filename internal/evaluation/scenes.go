package evaluation

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/report"
	"github.com/sensortrust/trustagent/internal/scenes"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

// HeldOutScene is one scene of the held-out evaluation of a default model.
type HeldOutScene struct {
	scenes.Scene
}

// SceneWorlds are the simulated worlds the held-out scene evaluation
// drives in; none is a training, calibration or alarm world of the
// default models (training.DefaultPlans).
var sceneWorlds = []uint64{7, 9, 11, 12, 13, 41, 42}

// HeldOutScenes lists the scenes the default model of the plan is judged
// on, one per scene: simulated worlds it never saw and every real scene of
// the catalogue it did not train on (p.Scenes are left out; stills limited
// to maxStills, in catalogue order; 0: all). The real recordings a plan trains on part of
// are left out: their held-out parts are evaluation sets of their own
// (EvaluateSets). missing says which sources are not installed.
func HeldOutScenes(ctx context.Context, p training.Plan, maxStills int) ([]HeldOutScene, []scenes.Missing) {
	kind := p.Options.Kind
	var out []HeldOutScene
	for _, w := range sceneWorlds {
		if !slices.Contains(p.SimWorlds, w) && !slices.Contains(p.AlarmWorlds, w) {
			out = append(out, HeldOutScene{Scene: scenes.SimScene(kind, w)})
		}
	}
	list, missing := scenes.Catalogue(ctx, kind)
	stills := 0
	for _, s := range list {
		if !s.Real || slices.Contains(p.Scenes, s.Name) {
			continue
		}
		if s.Origin == scenes.OriginStill {
			if maxStills > 0 && stills == maxStills {
				continue
			}
			stills++
		}
		if p.RealTrain > 0 && (s.Name == "capture-einride" && kind == sensors.KindLidar || s.Name == "video-vtest" && kind == sensors.KindCamera) {
			continue
		}
		out = append(out, HeldOutScene{Scene: s})
	}
	return out, missing
}

// SceneResult is the deployed decision on one held-out scene.
type SceneResult struct {
	Scene string
	Real  bool
	// CleanFrames and CleanUntrusted: the clean frames, and the fraction
	// judged ERROR or STALE.
	CleanFrames    int
	CleanUntrusted float64
	// AUROC of the fixed-point score, of the health model and of the
	// judge's evidence (Judge), mean over the faults, per severity 1..3.
	AUROC, HealthAUROC, JudgeAUROC [3]float64
	// Untrusted is the fraction of fault frames judged ERROR or STALE,
	// counted from the frame where the persistence rule can first fire
	// (Group.Decidable), mean over the faults, per severity.
	Untrusted [3]float64
	// Worst is the fault least often untrusted at severity 2 or 3, and
	// WorstUntrusted that fraction.
	Worst          string
	WorstUntrusted float64
	// MedianLatency is the median detection latency in frames over the
	// faults at severity 2 and 3 (Result.MedianLatency): nil when at
	// least half were missed.
	MedianLatency *float64
}

// MaxMedianLatency is the target on SceneResult.MedianLatency, in frames.
const MaxMedianLatency = 3

// SceneOptions configure EvaluateScenes.
type SceneOptions struct {
	// Drive says which frames of each scene are judged (Frames is
	// required; zero sizes take the scene's default).
	Drive scenes.DriveOptions
	// FaultSeed seeds the injected faults.
	FaultSeed uint64
	// Progress, when not nil, is called as frames are judged.
	Progress func(stage string, done, total int)
}

// EvaluateScenes judges clean frames of every scene with the model, then
// every catalogue fault at every severity injected into them (as
// EvaluateSets, with the health model and the judge's evidence as the
// only baselines), and sums each scene up.
func EvaluateScenes(ctx context.Context, ms *modelbundle.Models, model string, list []HeldOutScene, o SceneOptions) ([]SceneResult, error) {
	var out []SceneResult
	for _, s := range list {
		r, err := s.Drive(ctx, o.Drive)
		if err != nil {
			return nil, fmt.Errorf("scene %s: %w", s.Name, err)
		}
		es, err := EvaluateSets(ctx, []Set{{Name: s.Name, Model: model, Models: ms, Clean: r, Baselines: []string{HealthAE, Judge}}}, o.FaultSeed, o.Progress)
		if err != nil {
			return nil, err
		}
		res := es[0].Result
		sr := SceneResult{Scene: s.Name, Real: s.Real, CleanFrames: res.Clean.Frames, CleanUntrusted: res.Clean.Error, WorstUntrusted: math.Inf(1),
			MedianLatency: res.MedianLatency}
		var n [3]int
		for _, g := range res.Groups {
			if g.Severity < 1 || g.Severity > 3 {
				continue
			}
			i := g.Severity - 1
			sr.AUROC[i] += g.Metrics[FixedLR].AUROC
			sr.HealthAUROC[i] += g.Metrics[HealthAE].AUROC
			sr.JudgeAUROC[i] += g.Metrics[Judge].AUROC
			sr.Untrusted[i] += g.Decidable
			n[i]++
			if g.Severity >= 2 && g.Decidable < sr.WorstUntrusted {
				sr.Worst, sr.WorstUntrusted = fmt.Sprintf("%s %d", g.Fault, g.Severity), g.Decidable
			}
		}
		for i := range n {
			if n[i] > 0 {
				k := float64(n[i])
				sr.AUROC[i], sr.HealthAUROC[i], sr.JudgeAUROC[i], sr.Untrusted[i] = sr.AUROC[i]/k, sr.HealthAUROC[i]/k, sr.JudgeAUROC[i]/k, sr.Untrusted[i]/k
			}
		}
		out = append(out, sr)
	}
	return out, nil
}

// ScenesTable is the per-scene table of EvaluateScenes, with the targets
// of a trust flag a fleet keeps switched on marked: at most 1 % of clean
// frames untrusted, at least 95 % of fault frames untrusted at severity 2
// and 3, mean AUROC at least 0.99, median detection latency at most
// MaxMedianLatency frames.
func ScenesTable(caption string, rs []SceneResult) report.Table {
	t := report.Table{Caption: caption, Header: []string{"scene", "source", "clean frames", "clean untrusted",
		"AUROC sev 1 / 2 / 3", "health AUROC sev 1 / 2 / 3", "judge AUROC sev 1 / 2 / 3", "fault frames untrusted sev 1 / 2 / 3", "least untrusted fault (sev ≥ 2)",
		"median latency sev ≥ 2 (frames)", "targets met"}}
	for _, r := range rs {
		cleanOK := r.CleanUntrusted <= 0.01
		aurocOK := r.AUROC[0] >= 0.99 && r.AUROC[1] >= 0.99 && r.AUROC[2] >= 0.99
		detOK := r.WorstUntrusted >= 0.95
		latOK := r.MedianLatency != nil && *r.MedianLatency <= MaxMedianLatency
		lat := "most missed"
		if r.MedianLatency != nil {
			lat = strconv.FormatFloat(*r.MedianLatency, 'f', 1, 64)
		}
		met := targetsMet(target{cleanOK, "clean"}, target{detOK, "faults"}, target{aurocOK, "AUROC"}, target{latOK, "latency"})
		t.Rows = append(t.Rows, []string{r.Scene, source(r.Real), strconv.Itoa(r.CleanFrames), pct(r.CleanUntrusted) + mark(cleanOK),
			f3(r.AUROC[0]) + " / " + f3(r.AUROC[1]) + " / " + f3(r.AUROC[2]) + mark(aurocOK),
			f3(r.HealthAUROC[0]) + " / " + f3(r.HealthAUROC[1]) + " / " + f3(r.HealthAUROC[2]),
			f3(r.JudgeAUROC[0]) + " / " + f3(r.JudgeAUROC[1]) + " / " + f3(r.JudgeAUROC[2]),
			pct(r.Untrusted[0]) + " / " + pct(r.Untrusted[1]) + " / " + pct(r.Untrusted[2]),
			r.Worst + ": " + pct(r.WorstUntrusted) + mark(detOK), lat + mark(latOK), met})
	}
	return t
}

// source names where a scene's frames come from.
func source(real bool) string {
	if real {
		return "real"
	}
	return "simulated"
}

// target is one target of a scene table and whether a scene met it.
type target struct {
	ok   bool
	name string
}

// targetsMet lists the names of the targets met, "none" when none is.
func targetsMet(ts ...target) string {
	var met []string
	for _, t := range ts {
		if t.ok {
			met = append(met, t.name)
		}
	}
	return joinOr(met, "none")
}

// mark is " ✗" for a missed target.
func mark(ok bool) string {
	if ok {
		return ""
	}
	return " ✗"
}

func joinOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	s := xs[0]
	for _, x := range xs[1:] {
		s += ", " + x
	}
	return s
}
