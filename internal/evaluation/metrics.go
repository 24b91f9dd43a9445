package evaluation

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/sensortrust/trustagent/likelihood/evaluate"
)

type groupKey struct {
	fault    string
	severity int
}

// metrics computes the result of scored streams; streams[0] is the clean
// recording, the others are labelled. fire is the frame of a fault's
// episode, from 1, where the persistence rule can first enter ERROR
// (Group.Decidable).
func metrics(model, sensor string, thr float64, streams []*stream, scorers []string, fire int) (*Result, error) {
	res := &Result{Model: model, Sensor: sensor, Threshold: thr, Scorers: scorers, MeanAUROC: map[string]map[string]float64{}}
	c := streams[0]
	res.Clean = CleanResult{Dir: c.dir, Frames: len(c.lines)}
	res.Clean.Flagged = evaluate.Flagged(c.scores[FixedLR], thr)
	res.Clean.Error = errorFraction(c.lines, nil)
	res.Clean.Hours = spanHours(c.stamps)
	res.Clean.FalseAlarms = alarmOnsets(c.lines, nil)
	if res.Clean.Hours > 0 {
		res.Clean.FalseAlarmsPerHour = float64(res.Clean.FalseAlarms) / res.Clean.Hours
	}
	type acc struct {
		dirs       []string
		pos        map[string][]float64
		lines      []Line
		decidable  []Line // lines from the fire-th frame of an episode
		preAlarmed int
		latencies  []float64 // per episode; +Inf when missed
	}
	groups := map[groupKey]*acc{}
	var keys []groupKey
	for _, s := range streams[1:] {
		// Positives: altered frames, by fault and severity.
		start := 0 // first frame of the episode l belongs to
		for i, l := range s.labels {
			if i > 0 && (l.Fault != s.labels[i-1].Fault || l.Severity != s.labels[i-1].Severity) {
				start = i
			}
			if l.Fault == "none" || !l.Altered {
				continue
			}
			k := groupKey{l.Fault, l.Severity}
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
			if i-start >= fire-1 {
				g.decidable = append(g.decidable, s.lines[i])
			}
		}
		// Episodes: runs of frames with the same fault in force.
		for i := 0; i < len(s.labels); {
			l := s.labels[i]
			j := i
			for j < len(s.labels) && s.labels[j].Fault == l.Fault && s.labels[j].Severity == l.Severity {
				j++
			}
			// An episode needs a lead-in that is not in ERROR to have an
			// onset the decision can react to.
			if l.Fault != "none" && i > 0 && s.lines[i-1].Level == "ERROR" {
				if g := groups[groupKey{l.Fault, l.Severity}]; g != nil {
					g.preAlarmed++
				}
			} else if l.Fault != "none" && i > 0 {
				if g := groups[groupKey{l.Fault, l.Severity}]; g != nil {
					end := min(len(s.lines), j+10) // the decision may confirm just after the window
					lat := math.Inf(1)
					for k := i; k < end; k++ {
						if s.lines[k].Level == "ERROR" {
							lat = float64(k - i)
							break
						}
					}
					g.latencies = append(g.latencies, lat)
				}
			}
			i = j
		}
		// False alarms on the clean stretches of labelled streams, at
		// least 20 frames after a fault ended.
		clean := make([]bool, len(s.labels))
		last := -1000
		for i, l := range s.labels {
			if l.Fault != "none" {
				last = i
			}
			clean[i] = l.Fault == "none" && i-last > 20
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
			sa := StreamAlarms{Dir: s.dir, CleanFrames: n, CleanHours: float64(n) * meanStep(cs) / 3600, FalseAlarms: alarmOnsets(s.lines, clean)}
			if sa.CleanHours > 0 {
				sa.FalseAlarmsPerHour = float64(sa.FalseAlarms) / sa.CleanHours
			}
			res.Streams = append(res.Streams, sa)
			res.StreamFalseAlarms += sa.FalseAlarms
			res.StreamCleanHours += sa.CleanHours
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
	var lats []float64 // episodes of severity ≥ 2
	for _, k := range keys {
		g := groups[k]
		if k.severity >= 2 {
			lats = append(lats, g.latencies...)
		}
		gr := Group{Fault: k.fault, Severity: k.severity, Dirs: g.dirs, Frames: len(g.lines), Metrics: map[string]Metric{}}
		for _, name := range scorers {
			neg, pos := c.scores[name], g.pos[name]
			var m Metric
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
		gr.Flagged = evaluate.Flagged(g.pos[FixedLR], thr)
		gr.Error = errorFraction(g.lines, nil)
		gr.Decidable = errorFraction(g.decidable, nil)
		gr.Episodes, gr.PreAlarmed = len(g.latencies), g.preAlarmed
		sum := 0.0
		for _, l := range g.latencies {
			if !math.IsInf(l, 1) {
				gr.Detected++
				sum += l
			}
		}
		if gr.Detected > 0 {
			v := sum / float64(gr.Detected)
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
		return nil, errors.New("no faulted frames in the fault recordings (all labelled none or unaltered)")
	}
	res.LatencyEpisodes = len(lats)
	if m := median(lats); !math.IsInf(m, 1) && !math.IsNaN(m) {
		res.MedianLatency = &m
	}
	return res, nil
}

// median returns the median of xs (the mean of the middle two when their
// number is even), NaN when there are none; xs is sorted in place.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// errorFraction is the fraction of kept lines (all when keep is nil) at
// ERROR or STALE.
func errorFraction(lines []Line, keep []bool) float64 {
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
func alarmOnsets(lines []Line, keep []bool) int {
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

// spanHours is the time the stamps cover, one mean step past the last.
func spanHours(ts []time.Time) float64 {
	if len(ts) < 2 {
		return 0
	}
	return (ts[len(ts)-1].Sub(ts[0]).Seconds() + meanStep(ts)) / 3600
}

// meanStep is the mean step between stamps in seconds (0.1 when there are
// fewer than two).
func meanStep(ts []time.Time) float64 {
	if len(ts) < 2 {
		return 0.1
	}
	return ts[len(ts)-1].Sub(ts[0]).Seconds() / float64(len(ts)-1)
}
