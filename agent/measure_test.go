package agent

import (
	"context"
	"fmt"
	"iter"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// TestMeasure reports the agent's detection figures on simulated streams.
// It takes many minutes of CPU, so it runs only with TRUSTAGENT_MEASURE=1
// (TRUSTAGENT_MEASURE_HOURS scales the clean run, default 1 h of LiDAR at
// 10 Hz and 1/3 h of camera at 15 fps). Models are trained here on clean
// drive only: the likelihood VAE (package likelihood, default options) as
// the frame scorer and the health autoencoder, both on stretches of the
// drive far from the test stretches, their alarms calibrated with
// Calibrate on other clean stretches.
func TestMeasure(t *testing.T) {
	if os.Getenv("TRUSTAGENT_MEASURE") != "1" {
		t.Skip("set TRUSTAGENT_MEASURE=1 to run the detection measurements (minutes of CPU)")
	}
	hours := 1.0
	if v := os.Getenv("TRUSTAGENT_MEASURE_HOURS"); v != "" {
		fmt.Sscan(v, &hours)
	}
	r := newRig(t, rigOptions{camW: 160, camH: 120})
	gens := r.gens()
	// Twelve clean 60 s stretches, 200 s apart, over the first 2400 s of
	// drive; the test stretches come after 3000 s.
	var trainAt []time.Duration
	for i := range 12 {
		trainAt = append(trainAt, time.Duration(i)*200*time.Second)
	}
	models := make([]SensorModel, len(gens))
	for i, g := range gens {
		start := time.Now()
		models[i], _ = trainForMeasure(t, g, trainAt)
		t.Logf("%s: trained in %v: threshold %.4g, health warn/error %.4g/%.4g", g.Info().Name, time.Since(start).Round(time.Second),
			models[i].Threshold, models[i].Health.Warn, models[i].Health.Error)
	}

	var report strings.Builder
	fmt.Fprintf(&report, "\n## Detection on simulated streams (LiDAR VLP-16 sim 10 Hz, camera 160x120 15 fps)\n\n")
	fmt.Fprintf(&report, "| sensor | fault | sev | detected | latency (frames) | recovered to OK after end (s) |\n|---|---|---|---|---|---|\n")
	var lat2 []float64
	missed, notRecovered, runs := 0, 0, 0
	var staleDelays []time.Duration
	at := 3000 * time.Second
	for i, g := range gens {
		for _, fault := range faults.Names(g.Info().Kind) {
			for _, sev := range []int{2, 3} {
				res := faultRun(t, g, models[i], fault, sev, at)
				at += 40 * time.Second
				runs++
				det, lat, rec := "yes", fmt.Sprint(res.latency), fmt.Sprintf("%.1f", res.recovery.Seconds())
				if res.latency < 0 {
					det, lat = "no", "-"
					missed++
				} else {
					lat2 = append(lat2, float64(res.latency))
				}
				if res.recovery < 0 {
					rec = "not within 15 s"
					notRecovered++
				}
				if res.preAlarm {
					det += " (false alarm before onset)"
				}
				if fault == "disconnect" {
					staleDelays = append(staleDelays, res.staleDelay)
				}
				fmt.Fprintf(&report, "| %s | %s | %d | %s | %s | %s |\n", g.Info().Name, fault, sev, det, lat, rec)
			}
		}
	}
	slices.Sort(lat2)
	med := math.NaN()
	if len(lat2) > 0 {
		med = lat2[len(lat2)/2]
	}
	fmt.Fprintf(&report, "\nSeverity ≥ 2: %d runs, %d detected, median latency %.0f frames (onset to first ERROR, STALE for disconnect), %d missed, %d not back to OK within 15 s.\n",
		runs, runs-missed, med, missed, notRecovered)
	fmt.Fprintf(&report, "STALE after the last frame of a disconnect: %v (timeout 1 s, ticks every 100 ms).\n", staleDelays)

	for i, g := range gens {
		d := time.Duration(hours * float64(time.Hour))
		if g.Info().Kind == sensors.KindCamera {
			d /= 3
		}
		n, warns, dur, causes := cleanRun(t, g, models[i], 7000*time.Second, d)
		fmt.Fprintf(&report, "Clean %s for %v (%d frames): %d entries into ERROR (%.2f per hour; %s), %d into WARN.\n",
			g.Info().Name, dur, int(dur/g.Info().Period), n, float64(n)/dur.Hours(), strings.Join(causes, ", "), warns)
	}
	t.Log(report.String())
	if out := os.Getenv("TRUSTAGENT_MEASURE_OUT"); out != "" {
		os.WriteFile(out, []byte(report.String()), 0o644)
	}
}

// trainForMeasure trains the frame scorer on every vaeEvery-th frame of
// 60 s of each stretch (more of the scenes the drive passes, such as
// vehicles close by, than contiguous seconds would give) and the health
// model on all of them, then calibrates both alarms on held-out drive.
func trainForMeasure(t *testing.T, g generator, at []time.Duration) (SensorModel, *likelihood.Model) {
	const vaeEvery = 6
	var vaeFrames []sensors.Frame
	sf, err := health.NewSensorFeatures(g.Info().Kind, g.Info().Period)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float64
	p := g.Info().Period
	for _, a := range at {
		sf.Reset()
		from := int(a / p)
		for i := 0; i < int(60*time.Second/p); i++ {
			f := g.Frame(uint64(from + i))
			if i%vaeEvery == 0 {
				vaeFrames = append(vaeFrames, f)
			}
			v, err := sf.Next(nil, f)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, v)
		}
	}
	hm, rep, err := health.Train(rows, sf.Names(), health.TrainOptions{ID: "health-" + g.Info().Name, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s health: %+v", g.Info().Name, rep)
	vm, err := likelihood.Train(context.Background(), vaeFrames, likelihood.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The VAE's own threshold comes from its last 20 % of 60 s of frames,
	// and the health model's from a block of its 60 s stretches: too little
	// clean drive to see the scene events of the rest of the drive. Calibrate
	// both alarms with Calibrate on the held-out remainder of
	// each 200 s stretch (140 s each, 28 min in all).
	m := SensorModel{Scorer: vm.NewFixedScorer(), Threshold: vm.Threshold(), Health: hm, ID: "vae+health", Version: "measure"}
	var runs []iter.Seq[sensors.Frame]
	for _, a := range at {
		runs = append(runs, framesOf(g, a+60*time.Second, 140*time.Second))
	}
	var rate float64 // TRUSTAGENT_MEASURE_ALARM_RATE measures another operating point
	if v := os.Getenv("TRUSTAGENT_MEASURE_ALARM_RATE"); v != "" {
		if _, err := fmt.Sscan(v, &rate); err != nil {
			t.Fatalf("TRUSTAGENT_MEASURE_ALARM_RATE: %v", err)
		}
	}
	cm, cal, err := Calibrate(context.Background(), g.Info(), m, runs, CalibrateOptions{AlarmRate: rate})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s calibration on %d clean frames: VAE threshold own %.4g, 99.9th %.4g, alarm %.4g; health ERROR own %.4g, alarm %.4g",
		g.Info().Name, cal.Frames, vm.Threshold(), cal.ScoreQuantile, cal.ScoreAlarm, cal.HealthOwn, cal.HealthAlarm)
	t.Logf("%s frame-score tail: %+v", g.Info().Name, cal.ScoreTail)
	t.Logf("%s health tail: %+v", g.Info().Name, cal.HealthTail)
	dumpScores(t, g.Info().Name+"-calibration", cal.Scores...)
	return cm, vm
}

// dumpScores writes runs of frame scores, one run per line, to
// $TRUSTAGENT_MEASURE_DUMP/name.txt when that directory is set, for
// offline study of the alarm rule.
func dumpScores(t *testing.T, name string, runs ...[]float64) {
	dir := os.Getenv("TRUSTAGENT_MEASURE_DUMP")
	if dir == "" {
		return
	}
	var b strings.Builder
	for _, run := range runs {
		for i, s := range run {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%.6g", s)
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(dir+"/"+name+".txt", []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	}
}

// framesOf yields the frames of g in the drive-time span [at, at+d).
func framesOf(g generator, at, d time.Duration) iter.Seq[sensors.Frame] {
	return func(yield func(sensors.Frame) bool) {
		p := g.Info().Period
		for k := uint64(at / p); k < uint64((at+d)/p); k++ {
			if !yield(g.Frame(k)) {
				return
			}
		}
	}
}

type runResult struct {
	latency    int           // frames from onset to the first ERROR/STALE; -1 if none
	recovery   time.Duration // from the fault's end to OK; -1 if not within the tail
	preAlarm   bool          // ERROR before the onset
	staleDelay time.Duration // last frame received → STALE
}

// faultRun plays 5 s clean, 8 s fault, 15 s clean for one sensor alone.
func faultRun(t *testing.T, g generator, m SensorModel, fault string, sev int, start time.Duration) runResult {
	const lead, length, tail = 5 * time.Second, 8 * time.Second, 15 * time.Second
	sc := &faults.Scenario{Name: "measure", Seed: 1, Duration: lead + length + tail,
		Events: []faults.Event{{At: lead, For: length, Sensor: g.Info().Name, Fault: fault, Severity: sev, Seed: uint64(sev)}}}
	if fs, ok := m.Scorer.(*likelihood.FixedScorer); ok {
		fs.Reset() // the VAE scorer keeps per-stream state
	}
	clk := &fakeClock{}
	a := buildAgent(t, []generator{g}, []SensorModel{m}, clk, decision.Options{})
	t0 := sim.Epoch().Add(start)
	res := runResult{latency: -1, recovery: -1}
	name := g.Info().Name
	frames := 0
	var recv []time.Duration
	changes := play(t, a, clk, []generator{g}, sc, start, sc.Duration, func(now time.Time, lf labelled) {
		d := now.Sub(t0)
		recv = append(recv, lf.frame.Head().Received.Sub(t0))
		l := a.pipes[0].judge.Snapshot().State.Level
		switch {
		case d < lead:
			if l == level.Error {
				res.preAlarm = true
			}
		case d < lead+length:
			frames++
			if res.latency < 0 && (l == level.Error || l == level.Stale) {
				res.latency = frames
			}
		}
	})
	lvl := level.OK
	for _, c := range changes {
		if c.sensor != name {
			continue
		}
		// A fault that delivers no frames is detected at a tick: count the
		// frames that should have arrived.
		if res.latency < 0 && c.at >= lead && c.at < lead+length && (c.level == level.Error || c.level == level.Stale) {
			res.latency = int(math.Ceil(float64(c.at-lead) / float64(g.Info().Period)))
		}
		if c.level == level.Stale {
			var last time.Duration
			for _, r := range recv {
				if r <= c.at {
					last = r
				}
			}
			res.staleDelay = c.at - last
		}
		lvl = c.level
		switch {
		case c.at < lead+length:
		case lvl == level.OK && res.recovery < 0:
			res.recovery = c.at - (lead + length)
		case lvl != level.OK:
			res.recovery = -1
		}
	}
	if res.recovery < 0 && lvl == level.OK && !anyNotOKAfter(changes, name, lead+length) {
		res.recovery = 0 // already OK when the fault ended
	}
	return res
}

func anyNotOKAfter(cs []change, sensor string, t time.Duration) bool {
	for _, c := range cs {
		if c.sensor == sensor && c.at >= t && c.level != level.OK {
			return true
		}
	}
	return false
}

// cleanRun plays clean drive for d and counts entries into ERROR and WARN;
// causes lists the first reason code of each entry into ERROR, with its
// drive time.
func cleanRun(t *testing.T, g generator, m SensorModel, start, d time.Duration) (errors, warns int, dur time.Duration, causes []string) {
	clk := &fakeClock{}
	a := buildAgent(t, []generator{g}, []SensorModel{m}, clk, decision.Options{})
	sc := &faults.Scenario{Name: "clean", Seed: 1, Duration: d}
	var scores []float64
	record := func(time.Time, labelled) { scores = append(scores, a.pipes[0].judge.Snapshot().State.Score) }
	defer func() { dumpScores(t, g.Info().Name+"-clean", scores) }()
	for _, c := range play(t, a, clk, []generator{g}, sc, start, d, record) {
		if c.sensor != g.Info().Name {
			continue
		}
		switch c.level {
		case level.Error:
			errors++
			causes = append(causes, fmt.Sprintf("%s at %.0f s", c.reason, (start+c.at).Seconds()))
		case level.Warn:
			warns++
		}
	}
	return errors, warns, d, causes
}
