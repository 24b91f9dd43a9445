package agent

import (
	"context"
	"errors"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// burstyScores gives each frame sequence number a clean-looking score:
// correlated noise with rare bursts a few frames long, like scene events.
func burstyScores(n int, seed uint64) map[uint64]float64 {
	r := rand.New(rand.NewPCG(seed, 9))
	out := make(map[uint64]float64, n)
	v, burst, height := 0.0, 0, 0.0
	for i := 1; i <= n; i++ {
		v = 0.8*v + 0.2*r.NormFloat64()
		if burst == 0 && r.IntN(150) == 0 {
			burst, height = 2+r.IntN(8), 1+2*r.Float64()
		}
		s := 1 + v
		if burst > 0 {
			s += height
			burst--
		}
		out[uint64(i)] = s
	}
	return out
}

func cameraRun(from, to uint64) iter.Seq[sensors.Frame] {
	return func(yield func(sensors.Frame) bool) {
		for i := from; i < to; i++ {
			if !yield(cameraFrame(i, t0.Add(time.Duration(i)*lidarPeriod))) {
				return
			}
		}
	}
}

// errorEntries plays frames [from, to) through a fresh agent with model m.
func errorEntries(t *testing.T, m SensorModel, from, to uint64) int {
	t.Helper()
	clk := &fakeClock{}
	a, err := New(Options{Robot: "r1", Clock: clk, Sensors: []SensorOptions{{
		Source: staticSource{sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: lidarPeriod, Model: "fake", Address: "mem"}},
		Model:  m,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	v := newVirtual(a, clk, t0.Add(time.Duration(from)*lidarPeriod-time.Millisecond))
	n := 0
	prev := level.OK
	for i := from; i < to; i++ {
		v.deliver(0, cameraFrame(i, t0.Add(time.Duration(i)*lidarPeriod)))
		if l := a.pipes[0].judge.Snapshot().State.Level; l == level.Error && prev != level.Error {
			n++
		}
		prev = a.pipes[0].judge.Snapshot().State.Level
	}
	return n
}

func TestCalibrateSilencesTheRuleOnCleanRuns(t *testing.T) {
	scores := burstyScores(6000, 1)
	sc := ScorerFunc(func(f sensors.Frame) (float64, error) { return scores[f.Head().Seq], nil })
	info := sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: lidarPeriod}
	// The 99th percentile of the first 2000 frames: a frame-level
	// calibration.
	var first []float64
	for i := uint64(1); i <= 2000; i++ {
		first = append(first, scores[i])
	}
	perFrame := quantile(first, 0.99)
	m := SensorModel{Scorer: sc, Threshold: perFrame, ID: "m", Version: "1"}
	runs := []iter.Seq[sensors.Frame]{cameraRun(1, 2001), cameraRun(2001, 4001)}
	cm, cal, err := Calibrate(context.Background(), info, m, runs, CalibrateOptions{Silence: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("per-frame %.3f; calibrated: threshold %.3f, quantile %.3f, alarm %.3f", perFrame, cal.Threshold, cal.ScoreQuantile, cal.ScoreAlarm)
	if cal.Frames != 4000 || cal.Runs != 2 || cm.Threshold != cal.Threshold || cal.Threshold != max(cal.ScoreQuantile, cal.ScoreAlarm) ||
		cm.WarnThreshold != cal.ScoreWarn || !(cal.ScoreWarn > 0 && cal.ScoreWarn <= cal.Threshold) {
		t.Fatalf("calibration %+v, model threshold %v", cal, cm.Threshold)
	}
	if errorEntries(t, m, 1, 2001) == 0 {
		t.Fatal("the per-frame threshold did not fire on the bursts: the test shows nothing")
	}
	for _, r := range [][2]uint64{{1, 2001}, {2001, 4001}} {
		if n := errorEntries(t, cm, r[0], r[1]); n != 0 {
			t.Errorf("frames %v: %d entries into ERROR at the calibrated threshold", r, n)
		}
	}
	// The pipeline agrees with the rule: just below the alarm threshold it
	// fires on the calibration runs.
	lower := cm
	lower.Threshold = math.Nextafter(cal.ScoreAlarm, 0)
	if errorEntries(t, lower, 1, 2001)+errorEntries(t, lower, 2001, 4001) == 0 {
		t.Error("the alarm threshold is not the lowest silent one in the pipeline")
	}
	// The rise alarm is silent on the runs too, and the pipeline agrees
	// with its rule.
	if !(cm.RiseLevel > 0) || cm.RiseLevel != cal.RiseLevel || cal.RiseLevel < cal.RiseTail.Max {
		t.Fatalf("rise level %v in the model, calibrated %v, silence level %v", cm.RiseLevel, cal.RiseLevel, cal.RiseTail.Max)
	}
	t.Logf("rise level %.3f, silence level %.3f", cal.RiseLevel, cal.RiseTail.Max)
	if cal.RiseLevel == cal.RiseTail.Max {
		lower = cm
		lower.RiseLevel = math.Nextafter(cal.RiseLevel, 0)
		if errorEntries(t, lower, 1, 2001)+errorEntries(t, lower, 2001, 4001) == 0 {
			t.Error("the rise level is not the lowest silent one in the pipeline")
		}
	}
	// Held-out clean frames from the same process: fewer entries than with
	// the per-frame threshold.
	if got, was := errorEntries(t, cm, 4001, 6001), errorEntries(t, m, 4001, 6001); got > was {
		t.Errorf("held out: %d entries calibrated, %d per-frame", got, was)
	}
}

// burstyRuns returns a camera's info, a model scoring frame i with the
// i-th of n bursty scores, and two clean runs of 6000 frames over them.
func burstyRuns(n int, seed uint64) (sensors.Info, SensorModel, []iter.Seq[sensors.Frame]) {
	scores := burstyScores(n, seed)
	sc := ScorerFunc(func(f sensors.Frame) (float64, error) { return scores[f.Head().Seq], nil })
	info := sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: lidarPeriod}
	return info, SensorModel{Scorer: sc, ID: "m", Version: "1"}, []iter.Seq[sensors.Frame]{cameraRun(1, 6001), cameraRun(6001, 12001)}
}

func TestCalibrateExtrapolatesTheTail(t *testing.T) {
	info, m, runs := burstyRuns(30000, 2)
	cm, cal, err := Calibrate(context.Background(), info, m, runs, CalibrateOptions{AlarmRate: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	want, err := decision.AlarmTail(cal.Scores, decision.Options{}, lidarPeriod, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", cal.ScoreTail)
	if !cal.ScoreTail.Fitted || cal.ScoreTail != want || cal.ScoreAlarm != want.Threshold || cm.Threshold != max(cal.ScoreQuantile, want.Threshold) {
		t.Fatalf("calibration: tail %+v, alarm %v, threshold %v; want tail %+v", cal.ScoreTail, cal.ScoreAlarm, cm.Threshold, want)
	}
	var rises [][]float64
	for _, run := range cal.Scores {
		r, err := decision.Rises(run, 0)
		if err != nil {
			t.Fatal(err)
		}
		rises = append(rises, r)
	}
	wantRise, err := decision.AlarmTail(rises, decision.Options{}, lidarPeriod, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rise %+v", cal.RiseTail)
	if cal.RiseTail != wantRise || cm.RiseLevel != cal.RiseLevel || cal.RiseLevel < wantRise.Threshold || !(cal.RiseLevel > 0) {
		t.Fatalf("rise calibration: tail %+v, level %v, model %v; want tail %+v", cal.RiseTail, cal.RiseLevel, cm.RiseLevel, wantRise)
	}
	if cal.ScoreAlarm <= cal.ScoreTail.Max {
		t.Errorf("alarm %v not above the silence level %v: 20 min of drive extrapolated to 0.5 per hour", cal.ScoreAlarm, cal.ScoreTail.Max)
	}
	if _, _, err := Calibrate(context.Background(), info, m, runs, CalibrateOptions{AlarmRate: -1}); !errors.Is(err, decision.ErrAlarmRate) {
		t.Errorf("negative rate: %v", err)
	}
}

func TestCalibrateHealthAndErrors(t *testing.T) {
	info := sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: lidarPeriod}
	sf, err := health.NewSensorFeatures(info.Kind, info.Period)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var rows [][]float64
	for i := uint64(1); i <= 1500; i++ {
		// Jittered arrivals so that the timing features vary.
		f := cameraFrame(i, t0.Add(time.Duration(i)*lidarPeriod+time.Duration(r.IntN(20))*time.Millisecond))
		v, err := sf.Next(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, v)
	}
	hm, _, err := health.Train(rows, sf.Names(), health.TrainOptions{ID: "h", Seed: 1, Epochs: 20})
	if err != nil {
		t.Fatal(err)
	}
	m := SensorModel{Health: hm, ID: "m", Version: "1"}
	cm, cal, err := Calibrate(context.Background(), info, m, []iter.Seq[sensors.Frame]{cameraRun(1, 500)}, CalibrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cal.HealthOwn != hm.Error || cm.Health.Error != max(hm.Error, cal.HealthAlarm) || cm.Health == hm ||
		cm.Health.Warn != cal.HealthWarn || cal.HealthWarn < hm.Warn || cal.HealthWarn > cm.Health.Error {
		t.Errorf("health calibration %+v; model error %v", cal, cm.Health.Error)
	}
	if hm.Error != cal.HealthOwn {
		t.Error("the caller's health model was changed")
	}

	// An advisory model (ERROR far above any score) stays advisory unless
	// its alarms are set on the runs.
	adv := hm.Clone()
	adv.Error = 1e9
	m.Health = adv
	if cm, _, err = Calibrate(context.Background(), info, m, []iter.Seq[sensors.Frame]{cameraRun(1, 500)}, CalibrateOptions{}); err != nil || cm.Health.Error != 1e9 {
		t.Errorf("advisory model: ERROR %v, %v", cm.Health.Error, err)
	}
	cm, cal, err = Calibrate(context.Background(), info, m, []iter.Seq[sensors.Frame]{cameraRun(1, 500)}, CalibrateOptions{HealthAlarms: true})
	if err != nil {
		t.Fatal(err)
	}
	if cal.HealthOwn != 1e9 || cm.Health.Error >= 1e9 || cm.Health.Error < cal.HealthAlarm || cm.Health.Error != cal.HealthError ||
		cm.Health.Warn > cm.Health.Error {
		t.Errorf("advisory model with HealthAlarms: %+v; model error %v", cal, cm.Health.Error)
	}
	if adv.Error != 1e9 {
		t.Error("the caller's advisory model was changed")
	}

	if _, _, err := Calibrate(context.Background(), info, SensorModel{}, nil, CalibrateOptions{}); err == nil {
		t.Error("a model with nothing to calibrate was accepted")
	}
	sc := ScorerFunc(func(sensors.Frame) (float64, error) { return 1, nil })
	if _, _, err := Calibrate(context.Background(), info, SensorModel{Scorer: sc}, []iter.Seq[sensors.Frame]{cameraRun(1, 3)}, CalibrateOptions{}); err == nil {
		t.Error("two frames calibrated a 3-of-5 rule")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Calibrate(ctx, info, SensorModel{Scorer: sc}, []iter.Seq[sensors.Frame]{cameraRun(1, 100)}, CalibrateOptions{}); err == nil {
		t.Error("cancelled context ignored")
	}
	small, _, _ := health.Train(rows[:200], sf.Names()[:3], health.TrainOptions{ID: "h", Seed: 1, Epochs: 2})
	if small != nil {
		if _, _, err := Calibrate(context.Background(), info, SensorModel{Health: small}, nil, CalibrateOptions{}); err == nil {
			t.Error("a health model of the wrong width was accepted")
		}
	}
}

// TestCalibrateKeepsSuspectFramesForTheSustainedRule: with the sustained
// rule on, the WARN threshold is a high percentile of the clean runs, so
// that a weak fault's frames stay suspect and enter ERROR by that rule;
// without it, the WARN threshold rises to the WARN rule's rate.
func TestCalibrateKeepsSuspectFramesForTheSustainedRule(t *testing.T) {
	info, m, runs := burstyRuns(12000, 3)
	_, sus, err := Calibrate(context.Background(), info, m, runs, CalibrateOptions{Decision: decision.Options{SustainK: 25}})
	if err != nil {
		t.Fatal(err)
	}
	if want := min(quantile(slices.Concat(sus.Scores...), sus.SuspectQuantile), sus.Threshold); sus.ScoreWarn != want || !slices.Contains(SuspectQuantiles[:], sus.SuspectQuantile) {
		t.Errorf("sustained rule on: WARN threshold %v, want the runs' %v quantile %v", sus.ScoreWarn, sus.SuspectQuantile, want)
	}
	if float64(sus.SustainMax) > SustainMargin*25 && sus.SuspectQuantile != SuspectQuantiles[len(SuspectQuantiles)-1] {
		t.Errorf("%d suspect frames of 50 on the clean runs at quantile %v: too close to the rule", sus.SustainMax, sus.SuspectQuantile)
	}
	_, off, err := Calibrate(context.Background(), info, m, runs, CalibrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("WARN threshold %.3f with the sustained rule, %.3f without; ERROR %.3f", sus.ScoreWarn, off.ScoreWarn, off.Threshold)
	if sus.SustainMax < 1 || sus.SustainMax > 50 || off.SustainMax != 0 {
		t.Errorf("most suspect frames in 50: %d with the sustained rule, %d without", sus.SustainMax, off.SustainMax)
	}
	if !(off.ScoreWarn > sus.ScoreWarn) || off.Threshold != sus.Threshold {
		t.Errorf("without the sustained rule: WARN %v (with it %v), ERROR %v (with it %v)", off.ScoreWarn, sus.ScoreWarn, off.Threshold, sus.Threshold)
	}
}

func TestMostSuspect(t *testing.T) {
	scores := [][]float64{{0, 2, 2, 0, 2, 0}, {2, 2, 2}}
	health := [][]float64{{0, 0, 0, 0, 0, 5}, {0, 0, 0}}
	for _, c := range []struct {
		n, want int
	}{{1, 1}, {2, 2}, {3, 3}, {4, 3}, {6, 4}} {
		if got := mostSuspect(scores, health, 1, 1, c.n); got != c.want {
			t.Errorf("window %d: %d, want %d", c.n, got, c.want)
		}
	}
	if got := mostSuspect(nil, health, 1, 1, 6); got != 1 {
		t.Errorf("health only: %d, want 1", got)
	}
}

// TestSuspectLevelsKeepAMargin: clean runs whose 1 % tail comes in long
// bursts move the suspect level up the ladder until the sustained rule
// keeps its margin on them.
func TestSuspectLevelsKeepAMargin(t *testing.T) {
	rule := decision.Options{SustainK: 25}.WithDefaults()
	run := make([]float64, 10000)
	for i := range run {
		run[i] = float64(i%997) / 997 // the clean body, spread evenly
	}
	for i := 5000; i < 5030; i++ {
		run[i] = 2 + float64(i)/1e6 // a 30-frame clean episode above the 99.5th percentile
	}
	q, sw, _, most := suspectLevels([][]float64{run}, nil, 100, 0, rule)
	if q != 0.999 || most > 20 || !(sw > 0.99) {
		t.Errorf("bursty runs: quantile %v, level %v, %d suspect of 50", q, sw, most)
	}
	q, _, _, most = suspectLevels([][]float64{run[:4000]}, nil, 100, 0, rule)
	if q != 0.99 || most > 20 {
		t.Errorf("runs without bursts: quantile %v, %d suspect of 50", q, most)
	}
}
