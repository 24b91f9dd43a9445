package host_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hosttest"
	"github.com/sensortrust/trustagent/agent/level"
)

// benchConfig sizes a run of the host fault bench.
type benchConfig struct {
	learn   time.Duration // healthy samples learnt, at 1 Hz
	epochs  int           // training epochs at most; 0 for the default
	at      time.Duration // time of day learning starts
	clean   time.Duration // clean samples judged for false alarms
	windows int           // fault windows per fault type
}

// benchResult is one fault type's line of the table.
type benchResult struct {
	kind     hosttest.Kind
	detected int
	windows  int
	latency  []time.Duration
	reasons  map[string]int
}

// runBench learns from an accelerated clean run of a synthetic machine
// (through the Learner, as trustd does), then judges a clean run of
// another seed and fault windows of every type: 10 minutes clean, the
// fault for 10 minutes. A window is detected when a sample of the fault
// goes WARN or ERROR; latency is from the fault's start to that sample.
func runBench(t *testing.T, cfg benchConfig) (results []benchResult, alarmsPerDay float64, falseSamples int, trainTime time.Duration) {
	t.Helper()
	l, err := host.OpenLearner(host.LearnOptions{Dir: t.TempDir(), Samples: int(cfg.learn / time.Second),
		Train: health.TrainOptions{Epochs: cfg.epochs}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m := &hosttest.Machine{Seed: 1}
	for now := t0.Add(cfg.at); l.Progress().Have < int(cfg.learn/time.Second); now = now.Add(time.Second) {
		if s := m.Sample(now); s.Flagged() == host.FlagNone {
			if _, err := l.Add(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	model, _, err := l.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	trainTime = time.Since(start)
	ev := model.NewEvaluator()
	var row []float64
	var rule *host.Persistence
	judge := func(s host.Sample) health.Result {
		row = s.Features(row)
		r, err := ev.Evaluate(row)
		if err != nil {
			t.Fatal(err)
		}
		r.Level = rule.Next(r)
		r.Reasons = rule.Reasons()
		return r
	}
	reset := func() {
		rule, err = host.NewPersistence(decision.Options{})
		if err != nil {
			t.Fatal(err)
		}
	}
	reset()

	// Clean: a different seed, starting where learning stopped.
	clean := &hosttest.Machine{Seed: 2}
	cleanStart := t0.Add(cfg.at + cfg.learn)
	episodes, prev := 0, level.OK
	for now := cleanStart; now.Before(cleanStart.Add(cfg.clean)); now = now.Add(time.Second) {
		r := judge(clean.Sample(now))
		if r.Level != level.OK {
			if testing.Verbose() && falseSamples < 20 {
				t.Logf("not OK at %v: score %.3g (warn %.3g): %v", now.Sub(cleanStart), r.Score, model.Warn, r.Reasons)
			}
			falseSamples++
			if prev == level.OK {
				episodes++
			}
		}
		prev = r.Level
	}
	alarmsPerDay = float64(episodes) / cfg.clean.Hours() * 24

	for _, k := range hosttest.Kinds {
		res := benchResult{kind: k, windows: cfg.windows, reasons: map[string]int{}}
		for w := range cfg.windows {
			ws := cleanStart.Add(time.Duration(w) * 37 * time.Minute) // windows at various times of day
			f := hosttest.Fault{Kind: k, Start: ws.Add(10 * time.Minute), Duration: 10 * time.Minute}
			fm := &hosttest.Machine{Seed: 100 + uint64(w), Faults: []hosttest.Fault{f}}
			reset()
			for now := ws; now.Before(f.Start.Add(f.Duration)); now = now.Add(time.Second) {
				r := judge(fm.Sample(now))
				if !now.Before(f.Start) && r.Level != level.OK {
					res.detected++
					res.latency = append(res.latency, now.Sub(f.Start))
					res.reasons[r.Reasons[0].Feature]++
					break
				}
			}
		}
		results = append(results, res)
	}
	return results, alarmsPerDay, falseSamples, trainTime
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func topReason(m map[string]int) string {
	best, n := "", 0
	for k, v := range m {
		if v > n || (v == n && k < best) {
			best, n = k, v
		}
	}
	return best
}

// TestHostFaultBenchShort learns an hour (at most 40 epochs) and asserts every fault type is
// caught in each of its windows and a clean hour raises no alarm.
func TestHostFaultBenchShort(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	results, perDay, falseSamples, _ := runBench(t, benchConfig{learn: time.Hour, epochs: 40, at: 5*time.Hour + 30*time.Minute, clean: time.Hour, windows: 2})
	if falseSamples != 0 {
		t.Errorf("clean hour: %d samples flagged (%.1f alarms a day)", falseSamples, perDay)
	}
	for _, r := range results {
		if r.detected != r.windows {
			t.Errorf("%s: %d of %d windows detected", r.kind, r.detected, r.windows)
		}
	}
}

// TestHostFaultBench is the full bench: a day learnt (the daily swing of
// the temperature is part of normal), a clean week judged, 20 windows per
// fault type. HOST_BENCH=1 runs it; -v prints the
// table.
func TestHostFaultBench(t *testing.T) {
	if os.Getenv("HOST_BENCH") == "" {
		t.Skip("set HOST_BENCH=1 to run the host fault bench")
	}
	cfg := benchConfig{learn: 24 * time.Hour, clean: 7 * 24 * time.Hour, windows: 20}
	results, perDay, falseSamples, trainTime := runBench(t, cfg)
	var b strings.Builder
	fmt.Fprintf(&b, "learnt %v of healthy samples at 1 Hz, trained in %v\n", cfg.learn, trainTime.Round(time.Millisecond))
	fmt.Fprintf(&b, "%-20s %9s %15s  %s\n", "fault", "detected", "median latency", "top reason")
	for _, r := range results {
		fmt.Fprintf(&b, "%-20s %4d/%-4d %15v  %s\n", r.kind, r.detected, r.windows, median(r.latency), topReason(r.reasons))
	}
	fmt.Fprintf(&b, "clean: %.2f false alarms a day (%d of %d samples not OK over %v)\n",
		perDay, falseSamples, int(cfg.clean/time.Second), cfg.clean)
	t.Log("\n" + b.String())
}
