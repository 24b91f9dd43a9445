package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/internal/evaluation"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/report"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/likelihood/evaluate"
	"github.com/sensortrust/trustagent/sensors"
)

// Scorer names in eval output. "fixed" is the product's score.
const (
	scFixed  = "fixed_lr"
	scApprox = "float_lr"
	scExact  = "exact_lr"
	scNLL    = "nll"
	scRecon  = "recon"
	scHealth = "health_ae"
)

var scorerTitles = map[string]string{
	scFixed: "fixed-point approx. LR", scApprox: "float approx. LR", scExact: "exact LR",
	scNLL: "NLL", scRecon: "reconstruction error", scHealth: "health autoencoder",
}

// scorerShort are the legend names of the ROC plots.
var scorerShort = map[string]string{
	scFixed: "fixed LR", scApprox: "float LR", scExact: "exact LR", scNLL: "NLL", scRecon: "recon. error", scHealth: "health AE",
}

// metric is one scorer's detection quality on one fault group.
type metric struct {
	AUROC float64 `json:"auroc"`
	FPR95 float64 `json:"fpr_at_95tpr"`
	AUPR  float64 `json:"aupr"`
}

// groupResult is one fault at one severity (all directories with it).
type groupResult struct {
	Fault    string            `json:"fault"`
	Severity int               `json:"severity"`
	Dirs     []string          `json:"dirs"`
	Frames   int               `json:"fault_frames"`
	Metrics  map[string]metric `json:"metrics"`
	Flagged  float64           `json:"flagged_at_threshold"` // fault frames whose fixed score exceeds the threshold
	Error    float64           `json:"error_level"`          // fault frames judged ERROR or STALE by the decision
	Episodes int               `json:"episodes,omitempty"`
	Detected int               `json:"detected,omitempty"`
	// PreAlarmed counts episodes that began while the decision was already
	// in ERROR (a false alarm running into the fault): no latency.
	PreAlarmed int `json:"pre_alarmed,omitempty"`
	// LatencyFrames is the mean number of frames from a fault's onset to
	// the first ERROR, over detected episodes (labelled streams only).
	LatencyFrames *float64 `json:"latency_frames,omitempty"`
}

// cleanResult describes the clean recording at the deployed operating point.
type cleanResult struct {
	Dir                string  `json:"dir"`
	Frames             int     `json:"frames"`
	Flagged            float64 `json:"flagged_at_threshold"`
	Error              float64 `json:"error_level"`
	Hours              float64 `json:"hours"`
	FalseAlarms        int     `json:"false_alarms"`
	FalseAlarmsPerHour float64 `json:"false_alarms_per_hour"`
}

// evalResult is what eval writes as JSON.
type evalResult struct {
	Model     string        `json:"model"`
	Sensor    string        `json:"sensor"`
	Threshold float64       `json:"threshold"`
	Scorers   []string      `json:"scorers"`
	Clean     cleanResult   `json:"clean"`
	Groups    []groupResult `json:"groups"`
	// MeanAUROC per severity ("1", "2", "3", "all") and scorer.
	MeanAUROC map[string]map[string]float64 `json:"mean_auroc"`
	// Labelled streams: false alarms on their clean stretches.
	StreamFalseAlarms        int     `json:"stream_false_alarms,omitempty"`
	StreamCleanHours         float64 `json:"stream_clean_hours,omitempty"`
	StreamFalseAlarmsPerHour float64 `json:"stream_false_alarms_per_hour,omitempty"`
	Seconds                  float64 `json:"seconds"`
}

// frameLabel is the ground truth of one frame.
type frameLabel struct {
	fault    string // "none" when clean
	severity int
	altered  bool
}

// scoredStream is a recording scored by every scorer and the decision.
type scoredStream struct {
	dir    string
	names  []string
	stamps []time.Time
	scores map[string][]float64
	lines  []evaluation.Line
	labels []frameLabel // nil when unlabelled
}

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
	baselines := fs.String("baselines", "float_lr,exact_lr,nll,recon,health_ae", "comma-separated scores to compare with the fixed-point LR: float_lr, exact_lr, nll, recon, health_ae (empty: none)")
	exactSteps := fs.Int("exact-steps", 0, "Adam steps of the exact LR re-fit (0: the scorer's default)")
	maxFrames := fs.Int("max-frames", 0, "score at most this many frames per directory, from the start (0: all)")
	var jo evaluation.JudgeOptions
	addJudgeFlags(fs, &jo)
	quiet := fs.Bool("quiet", false, "no progress bar")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: trustctl eval --model MODEL --clean DIR --faults DIR [--faults DIR ...] [--labels FILE]")
		fmt.Fprintln(stderr, "                     [--report OUT.html] [--json OUT.json] [--markdown OUT.md]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "AUROC, FPR at 95 % TPR and AUPR per fault and severity (fault frames positive,")
		fmt.Fprintln(stderr, "clean frames negative) for the fixed-point approximated LR and the baselines; the")
		fmt.Fprintln(stderr, "flagged and ERROR fractions at the deployed threshold; for labelled streams the")
		fmt.Fprintln(stderr, "detection latency and false alarms per hour.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" || *clean == "" || len(faultDirs) == 0 {
		return usageError("--model, --clean and at least one --faults are required")
	}
	scorers := []string{scFixed}
	for _, s := range strings.Split(*baselines, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, ok := scorerTitles[s]; !ok || s == scFixed {
			return usageError("unknown baseline %q", s)
		}
		if !slices.Contains(scorers, s) {
			scorers = append(scorers, s)
		}
	}
	t0 := time.Now()
	ms, err := openModel(ctx, *model, sensors.KindUnknown)
	if err != nil {
		return err
	}
	if slices.Contains(scorers, scHealth) && ms.Health == nil {
		return usageError("the model has no health autoencoder; drop health_ae from --baselines")
	}
	var shared map[string]map[string]frameLabel
	if *labels != "" {
		if shared, err = readLabelsCSV(*labels); err != nil {
			return err
		}
	}
	dirs := append([]string{*clean}, faultDirs...)
	recs := make([]recording, 0, len(dirs))
	for _, d := range dirs {
		rs, err := loadRecordings(ctx, []string{d}, ms.VAE.Kind(), training.LidarModelFor(ms.VAE))
		if err != nil {
			return err
		}
		r := rs[0]
		if *maxFrames > 0 && len(r.frames) > *maxFrames {
			r.frames, r.names = r.frames[:*maxFrames], r.names[:*maxFrames]
		}
		recs = append(recs, r)
	}
	total := 0
	for _, r := range recs {
		total += len(r.frames)
	}
	bar := newBar(total, "score", *quiet, stderr)
	streams := make([]scoredStream, len(recs))
	for i, r := range recs {
		s, err := scoreStream(ctx, ms, r, scorers, *exactSteps, jo, func() { bar.Add(1) })
		if err != nil {
			return err
		}
		if i > 0 {
			if s.labels, err = labelsFor(r, shared); err != nil {
				return err
			}
		}
		streams[i] = s
	}
	bar.Finish()
	res, err := evaluateStreams(ms, *model, streams, scorers)
	if err != nil {
		return err
	}
	res.Seconds = time.Since(t0).Seconds()
	tbl := resultTable(res)
	if err := report.Markdown(stdout, tbl); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nclean %s: %d frames, %.1f %% above threshold, %.1f %% ERROR, %d false alarms (%.1f per hour)\n",
		res.Clean.Dir, res.Clean.Frames, 100*res.Clean.Flagged, 100*res.Clean.Error, res.Clean.FalseAlarms, res.Clean.FalseAlarmsPerHour)
	if *mdOut != "" {
		if err := writeWith(*mdOut, func(w io.Writer) error { return report.Markdown(w, tbl) }); err != nil {
			return err
		}
	}
	if *jsonOut != "" {
		if err := writeWith(*jsonOut, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		}); err != nil {
			return err
		}
	}
	if *htmlOut != "" {
		rep := buildReport(res, tbl, streams, scorers)
		if err := writeWith(*htmlOut, func(w io.Writer) error { return report.WriteHTML(w, rep) }); err != nil {
			return err
		}
	}
	return nil
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

// scoreStream runs one recording through the decision replay and every
// baseline scorer, each on the stream in order.
func scoreStream(ctx context.Context, ms *modelbundle.Models, r recording, scorers []string, exactSteps int, jo evaluation.JudgeOptions, tick func()) (scoredStream, error) {
	s := scoredStream{dir: r.dir, names: r.names, scores: map[string][]float64{}}
	rp, err := evaluation.NewReplay(ms, r.period, jo)
	if err != nil {
		return s, usageError("%v", err)
	}
	type fs interface {
		Score(sensors.Frame) (float64, error)
	}
	base := map[string]fs{}
	for _, name := range scorers {
		switch name {
		case scApprox:
			base[name] = ms.VAE.NewApproxLRScorer()
		case scExact:
			base[name] = ms.VAE.NewExactLRScorer(likelihood.ExactLRConfig{Steps: exactSteps})
		case scNLL:
			base[name] = ms.VAE.NewNLLScorer()
		case scRecon:
			base[name] = ms.VAE.NewReconScorer()
		}
	}
	for i, f := range r.frames {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		line := evaluation.LineOf(rp.Frame(f), f.Head().Stamp, ms.VAE.Threshold())
		line.Frame, line.Index = r.names[i], i
		s.lines = append(s.lines, line)
		s.stamps = append(s.stamps, f.Head().Stamp)
		for _, name := range scorers {
			v := math.NaN()
			switch name {
			case scFixed:
				v = line.Score
			case scHealth:
				if line.Health != nil {
					v = *line.Health
				}
			default:
				x, err := base[name].Score(f)
				if err == nil {
					v = x
				}
			}
			if math.IsNaN(v) || math.IsInf(v, 1) {
				// A frame the scorer cannot read is as suspicious as it gets.
				v = math.MaxFloat64
			}
			s.scores[name] = append(s.scores[name], v)
		}
		tick()
	}
	return s, nil
}

// readLabelsCSV reads a labels.csv (sensor, frame, file, stamp, fault,
// severity, altered), keyed by the frame file's directory base name and
// file name.
func readLabelsCSV(path string) (map[string]map[string]frameLabel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	m, err := parseLabels(f)
	if err != nil {
		return nil, fmt.Errorf("labels %s: %w", path, err)
	}
	return m, nil
}

// parseLabels parses labels.csv text.
func parseLabels(r io.Reader) (map[string]map[string]frameLabel, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"file", "fault", "severity"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("no %q column (want the labels.csv of trustctl sim or inject)", need)
		}
	}
	out := map[string]map[string]frameLabel{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		sev, err := strconv.Atoi(rec[col["severity"]])
		if err != nil || sev < 0 || sev > 3 {
			return nil, fmt.Errorf("line %d: severity %q", line, rec[col["severity"]])
		}
		l := frameLabel{fault: rec[col["fault"]], severity: sev, altered: rec[col["fault"]] != "none"}
		if i, ok := col["altered"]; ok {
			l.altered = rec[i] == "true"
		}
		file := filepath.ToSlash(rec[col["file"]])
		dir := filepath.Base(filepath.Dir(file))
		if filepath.Dir(file) == "." {
			dir = ""
		}
		if out[dir] == nil {
			out[dir] = map[string]frameLabel{}
		}
		out[dir][filepath.Base(file)] = l
	}
	return out, nil
}

var sevSuffix = regexp.MustCompile(`^(.*?)[-_]s(?:ev(?:erity)?)?([123])$`)

// labelsFor returns the labels of a fault recording: from the shared file
// (rows of the directory's base name), else its own labels.csv, else every
// frame is the fault named by the directory.
func labelsFor(r recording, shared map[string]map[string]frameLabel) ([]frameLabel, error) {
	var m map[string]frameLabel
	if shared != nil {
		m = shared[filepath.Base(r.dir)]
		if m == nil {
			m = shared[""]
		}
	}
	if m == nil {
		p := filepath.Join(r.dir, labelsFile)
		if _, err := os.Stat(p); err == nil {
			all, err := readLabelsCSV(p)
			if err != nil {
				return nil, err
			}
			m = all[""]
		}
	}
	out := make([]frameLabel, len(r.names))
	if m == nil {
		name, sev := filepath.Base(r.dir), 0
		if g := sevSuffix.FindStringSubmatch(name); g != nil {
			name = g[1]
			sev, _ = strconv.Atoi(g[2])
		}
		for i := range out {
			out[i] = frameLabel{fault: name, severity: sev, altered: true}
		}
		return out, nil
	}
	for i, n := range r.names {
		l, ok := m[n]
		if !ok {
			return nil, fmt.Errorf("labels: no row for %s in %s", n, r.dir)
		}
		out[i] = l
	}
	return out, nil
}

type groupKey struct {
	fault    string
	severity int
}

// evaluateStreams computes the metrics; streams[0] is the clean recording.
func evaluateStreams(ms *modelbundle.Models, model string, streams []scoredStream, scorers []string) (*evalResult, error) {
	thr := ms.VAE.Threshold()
	res := &evalResult{Model: model, Sensor: ms.VAE.Kind().String(), Threshold: thr, Scorers: scorers, MeanAUROC: map[string]map[string]float64{}}
	c := streams[0]
	res.Clean = cleanResult{Dir: c.dir, Frames: len(c.lines)}
	res.Clean.Flagged = evaluate.Flagged(c.scores[scFixed], thr)
	res.Clean.Error = errorFraction(c.lines, nil)
	res.Clean.Hours = spanHours(c.stamps)
	res.Clean.FalseAlarms = alarmOnsets(c.lines, nil)
	if res.Clean.Hours > 0 {
		res.Clean.FalseAlarmsPerHour = float64(res.Clean.FalseAlarms) / res.Clean.Hours
	}
	type acc struct {
		dirs        []string
		pos         map[string][]float64
		lines       []evaluation.Line
		episodes    int
		preAlarmed  int
		detected    int
		latencySum  float64
		haveLatency bool
	}
	groups := map[groupKey]*acc{}
	var keys []groupKey
	for _, s := range streams[1:] {
		// Positives: altered frames, by fault and severity.
		for i, l := range s.labels {
			if l.fault == "none" || !l.altered {
				continue
			}
			k := groupKey{l.fault, l.severity}
			g := groups[k]
			if g == nil {
				g = &acc{pos: map[string][]float64{}}
				groups[k] = g
				keys = append(keys, k)
			}
			if !slices.Contains(g.dirs, s.dir) {
				g.dirs = append(g.dirs, s.dir)
			}
			for _, name := range scorers {
				g.pos[name] = append(g.pos[name], s.scores[name][i])
			}
			g.lines = append(g.lines, s.lines[i])
		}
		// Episodes: runs of frames with the same fault in force.
		for i := 0; i < len(s.labels); {
			l := s.labels[i]
			j := i
			for j < len(s.labels) && s.labels[j].fault == l.fault && s.labels[j].severity == l.severity {
				j++
			}
			// An episode needs a lead-in that is not in ERROR to have an
			// onset the decision can react to.
			if l.fault != "none" && i > 0 && s.lines[i-1].Level == "ERROR" {
				if g := groups[groupKey{l.fault, l.severity}]; g != nil {
					g.preAlarmed++
				}
			} else if l.fault != "none" && i > 0 {
				if g := groups[groupKey{l.fault, l.severity}]; g != nil {
					g.episodes++
					end := min(len(s.lines), j+10) // the decision may confirm just after the window
					for k := i; k < end; k++ {
						if s.lines[k].Level == "ERROR" {
							g.detected++
							g.latencySum += float64(k - i)
							g.haveLatency = true
							break
						}
					}
				}
			}
			i = j
		}
		// False alarms on the clean stretches of labelled streams, at
		// least 20 frames after a fault ended.
		clean := make([]bool, len(s.labels))
		last := -1000
		for i, l := range s.labels {
			if l.fault != "none" {
				last = i
			}
			clean[i] = l.fault == "none" && i-last > 20
		}
		n := 0
		var cs []time.Time
		for i, ok := range clean {
			if ok {
				n++
				cs = append(cs, s.stamps[i])
			}
		}
		if n > 0 && n < len(clean) {
			res.StreamFalseAlarms += alarmOnsets(s.lines, clean)
			res.StreamCleanHours += float64(n) * meanStep(cs) / 3600
		}
	}
	if res.StreamCleanHours > 0 {
		res.StreamFalseAlarmsPerHour = float64(res.StreamFalseAlarms) / res.StreamCleanHours
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].fault != keys[b].fault {
			return keys[a].fault < keys[b].fault
		}
		return keys[a].severity < keys[b].severity
	})
	sums := map[string]map[string][]float64{}
	for _, k := range keys {
		g := groups[k]
		gr := groupResult{Fault: k.fault, Severity: k.severity, Dirs: g.dirs, Frames: len(g.lines), Metrics: map[string]metric{}}
		for _, name := range scorers {
			neg, pos := c.scores[name], g.pos[name]
			var m metric
			var err error
			if m.AUROC, err = evaluate.AUROC(neg, pos); err != nil {
				return nil, fmt.Errorf("%s %s: %w", k.fault, name, err)
			}
			if m.FPR95, err = evaluate.FPRAtTPR(neg, pos, 0.95); err != nil {
				return nil, err
			}
			if m.AUPR, err = evaluate.AUPR(neg, pos); err != nil {
				return nil, err
			}
			gr.Metrics[name] = m
			for _, sev := range []string{strconv.Itoa(k.severity), "all"} {
				if sums[sev] == nil {
					sums[sev] = map[string][]float64{}
				}
				sums[sev][name] = append(sums[sev][name], m.AUROC)
			}
		}
		gr.Flagged = evaluate.Flagged(g.pos[scFixed], thr)
		gr.Error = errorFraction(g.lines, nil)
		gr.Episodes, gr.Detected, gr.PreAlarmed = g.episodes, g.detected, g.preAlarmed
		if g.haveLatency {
			v := g.latencySum / float64(g.detected)
			gr.LatencyFrames = &v
		}
		res.Groups = append(res.Groups, gr)
	}
	for sev, m := range sums {
		res.MeanAUROC[sev] = map[string]float64{}
		for name, v := range m {
			t := 0.0
			for _, x := range v {
				t += x
			}
			res.MeanAUROC[sev][name] = t / float64(len(v))
		}
	}
	if len(res.Groups) == 0 {
		return nil, errors.New("no faulted frames in the --faults directories (all labelled none or unaltered)")
	}
	return res, nil
}

func errorFraction(lines []evaluation.Line, keep []bool) float64 {
	n, e := 0, 0
	for i, l := range lines {
		if keep != nil && !keep[i] {
			continue
		}
		n++
		if l.Level == "ERROR" || l.Level == "STALE" {
			e++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(e) / float64(n)
}

// alarmOnsets counts entries into ERROR at kept frames.
func alarmOnsets(lines []evaluation.Line, keep []bool) int {
	n := 0
	prev := "OK"
	for i, l := range lines {
		if l.Level == "ERROR" && prev != "ERROR" && (keep == nil || keep[i]) {
			n++
		}
		prev = l.Level
	}
	return n
}

func spanHours(ts []time.Time) float64 {
	if len(ts) < 2 {
		return 0
	}
	return (ts[len(ts)-1].Sub(ts[0]).Seconds() + meanStep(ts)) / 3600
}

func meanStep(ts []time.Time) float64 {
	if len(ts) < 2 {
		return 0.1
	}
	return ts[len(ts)-1].Sub(ts[0]).Seconds() / float64(len(ts)-1)
}

func f3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// resultTable is the per-fault table: AUROC of every scorer, the fixed
// score's FPR at 95 % TPR and AUPR, and the operating point.
func resultTable(res *evalResult) report.Table {
	t := report.Table{Caption: fmt.Sprintf("%s, model %s: AUROC per fault and severity (fault frames vs %d clean frames of %s)",
		res.Sensor, filepath.Base(res.Model), res.Clean.Frames, filepath.Base(res.Clean.Dir))}
	t.Header = []string{"fault", "sev", "frames"}
	for _, s := range res.Scorers {
		t.Header = append(t.Header, scorerTitles[s])
	}
	t.Header = append(t.Header, "FPR@95%TPR", "AUPR", "flagged", "ERROR", "latency (frames)")
	for _, g := range res.Groups {
		row := []string{g.Fault, strconv.Itoa(g.Severity), strconv.Itoa(g.Frames)}
		for _, s := range res.Scorers {
			row = append(row, f3(g.Metrics[s].AUROC))
		}
		m := g.Metrics[scFixed]
		lat := "–"
		if g.LatencyFrames != nil {
			lat = fmt.Sprintf("%.1f (%d/%d)", *g.LatencyFrames, g.Detected, g.Episodes)
		} else if g.Episodes > 0 {
			lat = fmt.Sprintf("missed (0/%d)", g.Episodes)
		}
		row = append(row, f3(m.FPR95), f3(m.AUPR), pct(g.Flagged), pct(g.Error), lat)
		t.Rows = append(t.Rows, row)
	}
	for _, sev := range []string{"1", "2", "3", "all"} {
		m, ok := res.MeanAUROC[sev]
		if !ok {
			continue
		}
		row := []string{"**mean**", sev, ""}
		for _, s := range res.Scorers {
			row = append(row, "**"+f3(m[s])+"**")
		}
		row = append(row, "", "", "", "", "")
		t.Rows = append(t.Rows, row)
	}
	row := []string{"clean", "0", strconv.Itoa(res.Clean.Frames)}
	for range res.Scorers {
		row = append(row, "")
	}
	row = append(row, "", "", pct(res.Clean.Flagged), pct(res.Clean.Error), fmt.Sprintf("%.1f false alarms/h", res.Clean.FalseAlarmsPerHour))
	t.Rows = append(t.Rows, row)
	return t
}

func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + " %" }

// buildReport assembles the HTML report.
func buildReport(res *evalResult, tbl report.Table, streams []scoredStream, scorers []string) report.Report {
	plain := tbl
	plain.Rows = nil
	for _, r := range tbl.Rows {
		rr := make([]string, len(r))
		for i, c := range r {
			rr[i] = strings.Trim(c, "*")
		}
		plain.Rows = append(plain.Rows, rr)
	}
	rep := report.Report{
		Title: "trustctl eval: " + filepath.Base(res.Model),
		Notes: []string{
			fmt.Sprintf("Sensor %s, deployed threshold %.4g (fixed-point approximated LR, nats). Clean recording %s: %d frames, %.1f %% above the threshold, %.1f %% judged ERROR, %d false alarms (%.1f per hour).",
				res.Sensor, res.Threshold, res.Clean.Dir, res.Clean.Frames, 100*res.Clean.Flagged, 100*res.Clean.Error, res.Clean.FalseAlarms, res.Clean.FalseAlarmsPerHour),
			"AUROC: fault frames positive, clean frames negative. flagged: fault frames whose fixed score exceeds the threshold. ERROR: fault frames the decision (k-of-n persistence, stream checks, health model, frozen check) judged ERROR or STALE. Latency: frames from a fault's onset to the first ERROR, mean over detected episodes.",
		},
		Tables: []report.Table{plain},
	}
	if res.StreamCleanHours > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("Labelled streams: %d false alarms over %.3f h of clean stretches (%.1f per hour).",
			res.StreamFalseAlarms, res.StreamCleanHours, res.StreamFalseAlarmsPerHour))
	}
	clean := streams[0]
	for _, g := range res.Groups {
		roc := report.ROC{Title: fmt.Sprintf("%s s%d", g.Fault, g.Severity)}
		for _, s := range scorers {
			var pos []float64
			for _, st := range streams[1:] {
				for i, l := range st.labels {
					if l.fault == g.Fault && l.severity == g.Severity && l.altered {
						pos = append(pos, st.scores[s][i])
					}
				}
			}
			roc.Curves = append(roc.Curves, report.Curve{Name: scorerShort[s], Neg: clean.scores[s], Pos: pos})
		}
		rep.ROCs = append(rep.ROCs, roc)
	}
	for _, st := range streams {
		tl := report.Timeline{Title: filepath.Base(st.dir), YLabel: "fixed LR", Scores: st.scores[scFixed], Threshold: res.Threshold, LogY: true}
		for i := 0; i < len(st.labels); {
			j := i
			for j < len(st.labels) && st.labels[j].fault == st.labels[i].fault {
				j++
			}
			if st.labels[i].fault != "none" {
				tl.Windows = append(tl.Windows, report.Window{Start: i, End: j, Label: st.labels[i].fault})
			}
			i = j
		}
		rep.Timelines = append(rep.Timelines, tl)
	}
	return rep
}
