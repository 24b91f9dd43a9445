package evaluation

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sensortrust/trustagent/internal/report"
)

// Table is the per-fault results table: AUROC of every scorer, the fixed
// score's FPR at 95 % TPR and AUPR, and the operating point (flagged and
// ERROR fractions, detection latency); then the mean AUROC per severity
// (bold) and the clean recording's row.
func Table(res *Result) report.Table {
	t := report.Table{Caption: fmt.Sprintf("%s, model %s: AUROC per fault and severity (fault frames vs %d clean frames of %s)",
		res.Sensor, filepath.Base(res.Model), res.Clean.Frames, filepath.Base(res.Clean.Dir))}
	t.Header = []string{"fault", "sev", "frames"}
	for _, s := range res.Scorers {
		t.Header = append(t.Header, scorerTitle(s))
	}
	t.Header = append(t.Header, "FPR@95%TPR", "AUPR", "flagged", "ERROR", "latency (frames)")
	for _, g := range res.Groups {
		row := []string{g.Fault, strconv.Itoa(g.Severity), strconv.Itoa(g.Frames)}
		for _, s := range res.Scorers {
			row = append(row, f3(g.Metrics[s].AUROC))
		}
		m := g.Metrics[FixedLR]
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

func f3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + " %" }

// Report is the self-contained HTML report of the evaluation: e.Table
// without Markdown emphasis, notes on the operating point, a ROC plot per
// fault group and a score timeline per recording with its fault windows.
func (e *Evaluation) Report() report.Report {
	res, tbl, streams := e.Result, e.Table, e.streams
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
		for _, s := range res.Streams {
			rep.Notes = append(rep.Notes, fmt.Sprintf("Labelled stream %s: %d false alarms over %.3f h of clean stretches (%.1f per hour).",
				s.Dir, s.FalseAlarms, s.CleanHours, s.FalseAlarmsPerHour))
		}
	}
	if res.CleanIsTrainingData {
		rep.Notes = append(rep.Notes, TrainingDataWarning(res.Clean.Dir))
	}
	clean := streams[0]
	for _, g := range res.Groups {
		roc := report.ROC{Title: fmt.Sprintf("%s s%d", g.Fault, g.Severity)}
		for _, s := range res.Scorers {
			var pos []float64
			for _, st := range streams[1:] {
				for i, l := range st.labels {
					if l.Fault == g.Fault && l.Severity == g.Severity && l.Altered {
						pos = append(pos, st.scores[s][i])
					}
				}
			}
			roc.Curves = append(roc.Curves, report.Curve{Name: scorerShort(s), Neg: clean.scores[s], Pos: pos})
		}
		rep.ROCs = append(rep.ROCs, roc)
	}
	for _, st := range streams {
		tl := report.Timeline{Title: filepath.Base(st.dir), YLabel: "fixed LR", Scores: st.scores[FixedLR], Threshold: res.Threshold, LogY: true}
		for i := 0; i < len(st.labels); {
			j := i
			for j < len(st.labels) && st.labels[j].Fault == st.labels[i].Fault {
				j++
			}
			if st.labels[i].Fault != "none" {
				tl.Windows = append(tl.Windows, report.Window{Start: i, End: j, Label: st.labels[i].Fault})
			}
			i = j
		}
		rep.Timelines = append(rep.Timelines, tl)
	}
	return rep
}
