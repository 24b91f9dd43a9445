package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/internal/evaluation"
	"github.com/sensortrust/trustagent/internal/report"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

// cmdEval evaluates a model on clean and faulted recordings.
func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	model := fs.String("model", "", "model bundle (required)")
	clean := fs.String("clean", "", "directory of clean frames the model was not trained on (required)")
	var faultDirs dirList
	fs.Var(&faultDirs, "faults", "directory of faulted frames (repeatable); its labels.csv (from trustctl inject or sim) names the fault and severity per frame, else the directory name does (e.g. fog_s2)")
	labels := fs.String("labels", "", "labels.csv of trustctl sim covering the --faults directories (default: each directory's own labels.csv)")
	htmlOut := fs.String("report", "", "write a self-contained HTML report here")
	jsonOut := fs.String("json", "", "write the numbers as JSON here")
	mdOut := fs.String("markdown", "", "write the results table as Markdown here")
	baselines := fs.String("baselines", "float_lr,exact_lr,nll,recon,health_ae,judge", "comma-separated scores to compare with the fixed-point LR: float_lr, exact_lr, nll, recon, health_ae, judge (the judge's evidence: frames it found bad first, then by nearness to ERROR) (empty: none)")
	exactSteps := fs.Int("exact-steps", 0, "Adam steps of the exact LR re-fit (0: the scorer's default)")
	maxFrames := fs.Int("max-frames", 0, "score at most this many frames per directory, from the start (0: all)")
	var jo evaluation.JudgeOptions
	addJudgeFlags(fs, &jo)
	quiet := fs.Bool("quiet", false, "no progress bar")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl eval --model MODEL --clean DIR --faults DIR [--faults DIR ...] [--labels FILE]")
		fmt.Fprintln(fs.Output(), "                     [--report OUT.html] [--json OUT.json] [--markdown OUT.md]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "AUROC, FPR at 95 % TPR and AUPR per fault and severity (fault frames positive,")
		fmt.Fprintln(fs.Output(), "clean frames negative) for the fixed-point approximated LR and the baselines; the")
		fmt.Fprintln(fs.Output(), "flagged and ERROR fractions at the deployed threshold; for labelled streams the")
		fmt.Fprintln(fs.Output(), "detection latency and false alarms per hour.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" || *clean == "" || len(faultDirs) == 0 {
		return usageError("--model, --clean and at least one --faults are required")
	}
	var base []string
	for _, s := range strings.Split(*baselines, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(evaluation.Baselines(), s) {
			return usageError("unknown baseline %q", s)
		}
		base = append(base, s)
	}
	t0 := time.Now()
	ms, err := openModel(ctx, *model, sensors.KindUnknown)
	if err != nil {
		return err
	}
	if slices.Contains(base, evaluation.HealthAE) && ms.Health == nil {
		return usageError("the model has no health autoencoder; drop health_ae from --baselines")
	}
	var shared evaluation.Labels
	if *labels != "" {
		if shared, err = evaluation.ReadLabels(*labels); err != nil {
			return err
		}
	}
	dirs := append([]string{*clean}, faultDirs...)
	recs := make([]training.Recording, 0, len(dirs))
	trainedOn := false
	for _, d := range dirs {
		rs, err := training.LoadRecordings(ctx, []string{d}, ms.VAE.Kind(), training.LidarModelFor(ms.VAE))
		if err != nil {
			return err
		}
		r := rs[0]
		if len(recs) == 0 {
			// Before --max-frames cuts it: the hash covers the whole recording.
			if trainedOn, err = evaluation.TrainedOn(ctx, ms, r); err != nil {
				return err
			}
		}
		if *maxFrames > 0 && len(r.Frames) > *maxFrames {
			r.Frames, r.Names = r.Frames[:*maxFrames], r.Names[:*maxFrames]
		}
		recs = append(recs, r)
	}
	if trainedOn {
		fmt.Fprintf(stderr, "trustctl eval: %s\n", evaluation.TrainingDataWarning(*clean))
	}
	faulted := make([]evaluation.Faulted, len(recs)-1)
	for i, r := range recs[1:] {
		l, err := evaluation.LabelsFor(r, shared)
		if err != nil {
			return err
		}
		faulted[i] = evaluation.Faulted{Recording: r, Labels: l}
	}
	progress, done := progressBars(*quiet, stderr)
	ev, err := evaluation.Evaluate(ctx, ms, *model, recs[0], faulted, evaluation.Options{
		Baselines: base, ExactSteps: *exactSteps, Judge: jo, Progress: progress,
	})
	done()
	if errors.Is(err, evaluation.ErrOptions) {
		return usageError("%v", err)
	}
	if err != nil {
		return err
	}
	res := ev.Result
	res.Seconds = time.Since(t0).Seconds()
	res.CleanIsTrainingData = trainedOn
	tbl := ev.Table
	if err := report.Markdown(stdout, tbl); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	for _, l := range evaluation.Summary(res) {
		fmt.Fprintln(stdout, l)
	}
	if *mdOut != "" {
		if err := writeWith(*mdOut, func(w io.Writer) error { return report.Markdown(w, tbl) }); err != nil {
			return err
		}
	}
	if *jsonOut != "" {
		if err := writeWith(*jsonOut, func(w io.Writer) error { return writeJSON(w, res) }); err != nil {
			return err
		}
	}
	if *htmlOut != "" {
		rep := ev.Report()
		if err := writeWith(*htmlOut, func(w io.Writer) error { return report.WriteHTML(w, rep) }); err != nil {
			return err
		}
	}
	return nil
}

// writeJSON writes v as indented JSON, as every --json output is.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeWith(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
