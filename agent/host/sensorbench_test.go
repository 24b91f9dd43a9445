package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/internal/evaluation"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/scenes"
	"github.com/sensortrust/trustagent/internal/training"
)

// sensorBench sizes the per-fault table of the default sensor models.
type sensorBench struct {
	models string        // directory of the default bundles
	worlds []uint64      // unseen simulated worlds driven in
	frames int           // clean frames per world; faults go into all but the first fifth
	soak   time.Duration // clean drive per world for the false alarms
	seed   uint64        // fault seed
}

// defaultSensorBench is what make host-bench runs: the unseen worlds and
// the clean drive docs/results.md uses for the default models.
var defaultSensorBench = sensorBench{models: filepath.Join("..", "..", "deploy", "models"), worlds: []uint64{7, 9, 11},
	frames: 100, soak: 5 * time.Minute, seed: 7}

// sensorFaultType is one row of a sensor's per-fault table: every
// severity of the fault in every world is a window.
type sensorFaultType struct {
	fault             string
	windows, detected int
	latency           []time.Duration
}

// runSensorBench judges the default LiDAR and camera bundles as trustctl
// results does (evaluation.EvaluateSets and evaluation.SoakWorlds: every
// frame through trustd's judge) and sums their fault groups up per fault
// type, for a table in the host table's style.
func runSensorBench(t *testing.T, cfg sensorBench) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, p := range training.DefaultPlans(training.SizeFull) {
		kind := p.Options.Kind
		data, err := os.ReadFile(filepath.Join(cfg.models, p.File))
		if err != nil {
			t.Fatal(err)
		}
		ms, err := modelbundle.Open(ctx, data, kind)
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string]*sensorFaultType{}
		var period time.Duration
		for _, w := range cfg.worlds {
			if slices.Contains(p.SimWorlds, w) || slices.Contains(p.AlarmWorlds, w) || slices.Contains(p.CalWorlds, w) {
				t.Fatalf("world %d is one the %s model learnt from", w, kind)
			}
			r, err := scenes.SimScene(kind, w).Drive(ctx, scenes.DriveOptions{Frames: cfg.frames})
			if err != nil {
				t.Fatal(err)
			}
			period = r.Period
			// No baseline: only the deployed judge's verdicts are counted.
			es, err := evaluation.EvaluateSets(ctx, []evaluation.Set{{Name: fmt.Sprintf("%s world %d", kind, w), Model: p.File,
				Models: ms, Clean: r, World: w, Baselines: []string{}}}, cfg.seed, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range es[0].Result.Groups {
				row := rows[g.Fault]
				if row == nil {
					row = &sensorFaultType{fault: g.Fault}
					rows[g.Fault] = row
				}
				row.windows += g.Episodes
				row.detected += g.Detected
				if g.LatencyFrames != nil {
					// One episode per fault and severity in a set: the
					// group's mean latency is that episode's.
					for range g.Detected {
						row.latency = append(row.latency, time.Duration(*g.LatencyFrames*float64(r.Period)))
					}
				}
			}
		}
		ss, err := evaluation.SoakWorlds(ctx, ms, cfg.worlds, cfg.soak, evaluation.JudgeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		soak := evaluation.Total(kind.String(), ss)
		names := make([]string, 0, len(rows))
		for n := range rows {
			names = append(names, n)
		}
		slices.Sort(names)
		fmt.Fprintf(&b, "**%s** (model %s, %d clean frames in each of worlds %s at %.0f Hz, faults into the last %d, fault seed %d; clean drive %.0f minutes per world)\n\n",
			kind, p.File, cfg.frames, worldList(cfg.worlds), 1/period.Seconds(), cfg.frames-cfg.frames/5, cfg.seed, cfg.soak.Minutes())
		fmt.Fprintln(&b, "| fault | windows | detected | median latency | 90th percentile latency | false alarms / day |")
		fmt.Fprintln(&b, "| --- | ---: | ---: | ---: | ---: | ---: |")
		for _, n := range names {
			r := rows[n]
			fmt.Fprintf(&b, "| %s | %d | %.0f %% | %s | %s | |\n", n, r.windows, 100*float64(r.detected)/float64(max(1, r.windows)),
				tenths(median(r.latency), len(r.latency)), tenths(quantile(r.latency, 0.9), len(r.latency)))
		}
		fmt.Fprintf(&b, "| clean (%.2f h, %d entries into WARN) | | | | | %.0f |\n\n", soak.Hours, soak.Warns, soak.ErrorsPerHour()*24)
	}
	return b.String()
}

// worldList says worlds as "7, 9 and 11".
func worldList(ws []uint64) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = fmt.Sprint(w)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

func tenths(d time.Duration, n int) string {
	if n == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
