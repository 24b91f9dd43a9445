package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/internal/evaluation"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/likelihood/evaluate"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
)

// TestRealLidarCrossValidation measures detection on every revolution of the
// real VLP-16 capture instead of the last 40 % that the default model holds
// out (5 revolutions, 4 fault frames per row). The capture is cut into three
// contiguous blocks; for each, a model is trained exactly as the default
// LiDAR model (same simulated drives, calibration world, seeds and sizes)
// on the other two blocks, turned to 16 headings, and scores its own block,
// clean and with every catalogue fault at severities 1–3 injected (seed 7,
// as trustctl models --eval). Scores are the deployed fixed score (a robust
// z-score, comparable between models), NLL and reconstruction error; AUROCs
// pool the three blocks. It trains three models (about a minute of CPU), so
// it runs only with TRUSTCTL_CROSSVAL=1:
//
//	TRUSTCTL_CROSSVAL=1 go test -run TestRealLidarCrossValidation -v ./cmd/trustctl/
func TestRealLidarCrossValidation(t *testing.T) {
	if os.Getenv("TRUSTCTL_CROSSVAL") != "1" {
		t.Skip("set TRUSTCTL_CROSSVAL=1 to run the real VLP-16 cross-validation (trains three models)")
	}
	ctx := context.Background()
	work := t.TempDir()
	plan := training.DefaultPlans(training.SizeFull)[0]
	plan.RealTrain = 0 // the real capture is split into folds below
	simRecs, _, err := training.PlanRecordings(ctx, plan, "")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := einrideFrames(ctx, work, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := training.LoadRecordings(ctx, []string{dir}, sensors.KindLidar, "")
	if err != nil {
		t.Fatal(err)
	}
	capture := rs[0]
	n := len(capture.Frames)
	if n < 9 {
		t.Fatalf("%d revolutions in the real capture, want at least 9", n)
	}
	var names []string
	for _, sp := range faults.Catalogue() {
		if sp.Class == faults.ClassLidar {
			names = append(names, sp.Name)
		}
	}
	sort.Strings(names)
	scorers := []string{evaluation.FixedLR, evaluation.NLL, evaluation.Recon}
	type row struct {
		fault string
		sev   int
	}
	neg := map[string][]float64{}
	pos := map[row]map[string][]float64{}
	var report strings.Builder
	for k := range 3 {
		lo, hi := k*n/3, (k+1)*n/3
		recs := append([]training.Recording(nil), simRecs...)
		for _, p := range [][2]int{{0, lo}, {hi, n}} {
			if p[1]-p[0] < 2 {
				continue
			}
			r := training.Recording{Dir: fmt.Sprintf("%s[%d:%d]", capture.Dir, p[0], p[1]), Names: capture.Names[p[0]:p[1]], Frames: capture.Frames[p[0]:p[1]], Period: capture.Period}
			rot, err := training.Rotated(r, plan.RealRotations)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, rot...)
		}
		res, err := training.Train(ctx, recs, plan.Options)
		if err != nil {
			t.Fatalf("fold %d: %v", k, err)
		}
		fmt.Fprintf(&report, "fold %d (revolutions %d–%d held out): %s\n", k, lo, hi-1, trainSummary(res))
		ms, err := modelbundle.Open(ctx, res.Bundle, sensors.KindLidar)
		if err != nil {
			t.Fatal(err)
		}
		test := capture.Frames[lo:hi]
		for name, v := range crossvalScores(ms, test, scorers) {
			neg[name] = append(neg[name], v...)
		}
		for _, fault := range names {
			for sev := 1; sev <= 3; sev++ {
				inj, err := faults.New(sensors.KindLidar, faults.Config{Fault: fault, Severity: sev, Seed: 7, Period: capture.Period})
				if err != nil {
					t.Fatal(err)
				}
				frames, altered, _ := evaluation.FaultStream(test, inj) // as trustctl models --eval
				r := row{fault, sev}
				if pos[r] == nil {
					pos[r] = map[string][]float64{}
				}
				for name, v := range crossvalScores(ms, frames, scorers) {
					for i, x := range v {
						if altered[i] {
							pos[r][name] = append(pos[r][name], x)
						}
					}
				}
			}
		}
	}
	fmt.Fprintf(&report, "\n%d clean revolutions, each scored by the model that did not train on it\n\n", len(neg[evaluation.FixedLR]))
	fmt.Fprintf(&report, "| fault | sev | fault frames | fixed-point approx. LR | NLL | reconstruction error |\n|---|---|---|---|---|---|\n")
	mean := map[string]*[4]float64{}
	for _, name := range scorers {
		mean[name] = &[4]float64{}
	}
	for _, fault := range names {
		for sev := 1; sev <= 3; sev++ {
			r := row{fault, sev}
			fmt.Fprintf(&report, "| %s | %d | %d |", fault, sev, len(pos[r][evaluation.FixedLR]))
			for _, name := range scorers {
				a, err := evaluate.AUROC(neg[name], pos[r][name])
				if err != nil {
					t.Fatalf("%s %d %s: %v", fault, sev, name, err)
				}
				mean[name][sev] += a / float64(len(names))
				fmt.Fprintf(&report, " %.3f |", a)
			}
			report.WriteString("\n")
		}
	}
	for sev := 1; sev <= 3; sev++ {
		fmt.Fprintf(&report, "| **mean** | %d | |", sev)
		for _, name := range scorers {
			fmt.Fprintf(&report, " **%.3f** |", mean[name][sev])
		}
		report.WriteString("\n")
	}
	t.Log("\n" + report.String())
}

// crossvalScores scores one stream with fresh scorers of each kind.
func crossvalScores(ms *modelbundle.Models, frames []sensors.Frame, scorers []string) map[string][]float64 {
	fixed, nll, recon := ms.VAE.NewFixedScorer(), ms.VAE.NewNLLScorer(), ms.VAE.NewReconScorer()
	out := map[string][]float64{}
	for _, f := range frames {
		for _, name := range scorers {
			var v float64
			var err error
			switch name {
			case evaluation.FixedLR:
				v, err = fixed.Score(f)
			case evaluation.NLL:
				v, err = nll.Score(f)
			case evaluation.Recon:
				v, err = recon.Score(f)
			}
			if err != nil {
				// A frame the scorer cannot read is as suspicious as it gets,
				// as in the evaluation.
				v = 1e300
			}
			out[name] = append(out[name], v)
		}
	}
	return out
}
