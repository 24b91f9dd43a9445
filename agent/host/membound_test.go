package host_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/host/hostsim"
)

// memBound is what the best single test for memory pressure achieves on
// the bench's samples: a one-sided cumulative sum (CUSUM) of the
// log-likelihood ratio of each second's change of available memory,
// "taken at the fault's rate" against "wandering", with the wander's
// step noise sigma measured on the learnt samples and its threshold h
// calibrated on them for one alarm a day. It knows the fault's rate and
// looks at nothing else, so no model over the same samples does better;
// the bench prints it beside the host model's row.
type memBound struct {
	sigma        float64 // MiB, standard deviation of one second's change on the learnt samples
	h            float64 // nats
	alarmsPerDay float64 // on the clean samples the host model is judged on
	latency      []time.Duration
	windows      int
}

// memPressureRate is the bench's memory pressure, MiB/s (hostsim).
const memPressureRate = 10.0

// availChanges returns the second-by-second changes of available memory,
// MiB, of m sampled from start for n seconds.
func availChanges(m *hostsim.Machine, start time.Time, n int) []float64 {
	out := make([]float64, 0, n)
	prev := math.NaN()
	for i := range n {
		a := float64(m.Sample(start.Add(time.Duration(i)*time.Second)).MemAvailBytes) / (1 << 20)
		if !math.IsNaN(prev) {
			out = append(out, a-prev)
		}
		prev = a
	}
	return out
}

// cusumAlarms counts the alarms of the CUSUM over changes d at threshold
// h (restarting after each) and returns the index of the first at or
// after from (-1 when none).
func cusumAlarms(d []float64, sigma, h float64, from int) (alarms, first int) {
	first = -1
	s := 0.0
	for i, x := range d {
		s = max(0, s+(-x*memPressureRate-memPressureRate*memPressureRate/2)/(sigma*sigma))
		if s > h {
			alarms++
			s = 0
			if first < 0 && i >= from {
				first = i
			}
		}
	}
	return alarms, first
}

// memPressureBound runs the CUSUM on the samples runBench judges, from the
// same machines, seeds and windows.
func memPressureBound(cfg benchConfig) memBound {
	learnStart := t0.Add(cfg.at)
	learnt := availChanges(&hostsim.Machine{Seed: 1}, learnStart, int(cfg.learn/time.Second))
	var sum, sq float64
	for _, x := range learnt {
		sum += x
		sq += x * x
	}
	n := float64(len(learnt))
	b := memBound{sigma: math.Sqrt(sq/n - (sum/n)*(sum/n)), windows: cfg.windows}
	for b.h = 0.5; ; b.h += 0.5 {
		if a, _ := cusumAlarms(learnt, b.sigma, b.h, 0); float64(a)/cfg.learn.Hours()*24 <= 1 {
			break
		}
	}
	cleanStart := learnStart.Add(cfg.learn)
	a, _ := cusumAlarms(availChanges(&hostsim.Machine{Seed: 2}, cleanStart, int(cfg.clean/time.Second)), b.sigma, b.h, 0)
	b.alarmsPerDay = float64(a) / cfg.clean.Hours() * 24
	for w := range cfg.windows {
		ws := cleanStart.Add(time.Duration(w) * 37 * time.Minute)
		f := hostsim.Fault{Kind: hostsim.MemoryPressure, Start: ws.Add(10 * time.Minute), Duration: 10 * time.Minute}
		d := availChanges(&hostsim.Machine{Seed: 100 + uint64(w), Faults: []hostsim.Fault{f}}, ws, 20*60)
		// d[i] is the change from second i to i+1; the fault's first
		// sample is second 600, its first change d[599].
		if _, first := cusumAlarms(d, b.sigma, b.h, 599); first >= 0 {
			b.latency = append(b.latency, time.Duration(first+1-600)*time.Second)
		}
	}
	return b
}

// paragraph says in the bench's document what the bound is.
func (b memBound) paragraph() string {
	return fmt.Sprintf(`Memory pressure is not seen within ten seconds at one false alarm a day, by the host model or by
the test made for exactly that fault: the simulated machine's available memory wanders as a random
walk of %.1f MB a second (the learnt day), so memory taken at 10 MB/s stands out of the wander only
by the square root of the seconds it has been taken. That test, a one-sided cumulative sum of each
second's log-likelihood ratio ("taken at 10 MB/s" against "wandering"), the fastest for a given
false alarm rate, its threshold calibrated on the learnt day for one alarm a day, sees %d of %d
windows with a median latency of %s (90th percentile %s) and %.2f false alarms a day on the clean
week. The host model sees the fault mostly by `+"`mem_avail_mb_per_min`"+` (the slope of available
memory over the last 20 s).
`, b.sigma, len(b.latency), b.windows, seconds(median(b.latency)), seconds(quantile(b.latency, 0.9)), b.alarmsPerDay)
}

// TestCUSUMAlarms: with a step noise of 10 MiB, memory taken at exactly
// 10 MiB/s adds 0.5 nats a second, so a threshold of 2 nats is passed
// at the fifth second; memory that does not move never alarms.
func TestCUSUMAlarms(t *testing.T) {
	fall := make([]float64, 12)
	for i := range fall {
		fall[i] = -memPressureRate
	}
	if n, first := cusumAlarms(fall, 10, 2, 0); n != 2 || first != 4 {
		t.Errorf("steady take: %d alarms, first at %d; want 2, first at 4", n, first)
	}
	if n, first := cusumAlarms(make([]float64, 100), 10, 2, 0); n != 0 || first != -1 {
		t.Errorf("flat: %d alarms, first at %d", n, first)
	}
}
