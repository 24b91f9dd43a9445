package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
	"github.com/sensortrust/trustagent/transport/outbox"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const lidarPeriod = 100 * time.Millisecond

// staticSource is a Source for virtual tests: it is never run.
type staticSource struct{ info sensors.Info }

func (s staticSource) Info() sensors.Info { return s.info }
func (s staticSource) Run(ctx context.Context, emit func(sensors.Frame)) error {
	<-ctx.Done()
	return nil
}

// scoreByStamp scores frames with a function of their stamp.
func scoreByStamp(fn func(time.Time) float64) Scorer {
	return ScorerFunc(func(f sensors.Frame) (float64, error) { return fn(f.Head().Stamp), nil })
}

func cameraFrame(seq uint64, at time.Time) *sensors.Image {
	im := sensortest.GrayImage("cam0", seq, at.Add(-5*time.Millisecond), 64, 48)
	im.Received = at
	return im
}

func newTestAgent(t *testing.T, clk *fakeClock, pub Reporter, sc Scorer, reg prometheus.Registerer) *Agent {
	t.Helper()
	a, err := New(Options{
		Robot: "r1",
		Sensors: []SensorOptions{{
			Source: staticSource{sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: lidarPeriod, Model: "fake", Address: "mem"}},
			Model:  SensorModel{Scorer: sc, Threshold: 1, ID: "m", Version: "1"},
		}},
		Reporter:   pub,
		Clock:      clk,
		Registerer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestVirtualLevelsStaleAndRecovery(t *testing.T) {
	clk := &fakeClock{}
	rec := &reportRecorder{}
	bad := func(at time.Time) bool {
		s := at.Sub(t0)
		return s >= 3*time.Second && s < 4*time.Second
	}
	a := newTestAgent(t, clk, rec, scoreByStamp(func(at time.Time) float64 {
		if bad(at.Add(5 * time.Millisecond)) {
			return 5
		}
		return 0.2
	}), nil)
	v := newVirtual(a, clk, t0)
	var timeline []string
	last := ""
	v.observe = func(now time.Time) {
		l := a.pipes[0].judge.Snapshot().State.Level.String()
		if l != last {
			timeline = append(timeline, now.Sub(t0).String()+" "+l)
			last = l
		}
	}
	seq := uint64(0)
	for at := t0.Add(lidarPeriod); at.Before(t0.Add(8 * time.Second)); at = at.Add(lidarPeriod) {
		seq++
		v.deliver(0, cameraFrame(seq, at))
	}
	// Silence: STALE after the 1 s timeout (ticks every 250 ms).
	v.advance(t0.Add(10 * time.Second))
	for at := t0.Add(10 * time.Second); at.Before(t0.Add(17 * time.Second)); at = at.Add(lidarPeriod) {
		seq++
		v.deliver(0, cameraFrame(seq, at))
	}
	// After the silence the 5 s frequency window (ROS FrequencyStatus) still
	// sees the gap: WARN rate_low from the second frame (two suspect frames
	// of five enter WARN) until it has passed and five frames were clean.
	// The last frame before the silence arrives at 7.9 s: STALE at 8.9 s, when
	// the silence reaches the 1 s timeout, not later.
	// The tick at 100 ms comes before the first frame: STALE, not judged yet.
	want := "100ms STALE,100ms OK,3.1s WARN,3.2s ERROR,4.9s OK,8.9s STALE,10s OK,10.1s WARN,15.4s OK"
	if got := strings.Join(timeline, ","); got != want {
		t.Errorf("timeline\n got %s\nwant %s", got, want)
	}
	// Level changes were published with contiguous sequence numbers.
	var seqs []uint64
	reports, _, _ := rec.snapshot()
	for _, r := range reports {
		if r.Heartbeat {
			continue
		}
		s := r.Judge.State
		seqs = append(seqs, r.Seq)
		if s.Level == level.Error && (s.Trusted || s.Cause != level.CauseSensor || len(s.Reasons) == 0 || s.Reasons[0].Code != level.ScoreHigh) {
			t.Errorf("ERROR state %+v", s)
		}
		if s.Level == level.Stale && (s.Trusted || s.Cause != level.CauseStream) {
			t.Errorf("STALE state %+v", s)
		}
	}
	for i := range seqs {
		if seqs[i] != uint64(i+1) {
			t.Errorf("state sequence numbers %v", seqs)
			break
		}
	}
}

func TestFrozenFramesEnterError(t *testing.T) {
	clk := &fakeClock{}
	a := newTestAgent(t, clk, nil, nil, nil)
	v := newVirtual(a, clk, t0)
	var f *sensors.Image
	for i := 1; i <= 30; i++ {
		at := t0.Add(time.Duration(i) * lidarPeriod)
		if i <= 20 {
			f = cameraFrame(uint64(i), at)
		}
		g := *f
		g.Seq, g.Stamp, g.Received = uint64(i), at.Add(-5*time.Millisecond), at
		g.Pix = append([]byte(nil), f.Pix...)
		v.deliver(0, &g)
		l := a.pipes[0].judge.Snapshot().State.Level
		switch {
		case i <= 20 && l != level.OK:
			t.Fatalf("frame %d: %v before the freeze (%s)", i, l, a.pipes[0].judge.Snapshot().State.Message())
		case i == 23 && (l != level.Error || a.pipes[0].judge.Snapshot().State.Reasons[0].Code != level.Frozen):
			t.Fatalf("frame %d: %v %v, want ERROR frozen after 3 repeats", i, l, a.pipes[0].judge.Snapshot().State.Reasons)
		}
	}
}

func TestRecalibrate(t *testing.T) {
	clk := &fakeClock{}
	a := newTestAgent(t, clk, nil, scoreByStamp(func(at time.Time) float64 {
		return 0.5 + 0.1*math.Sin(float64(at.UnixNano())/1e8)
	}), nil)
	v := newVirtual(a, clk, t0)
	if _, err := a.Recalibrate("cam0", time.Minute); !errors.Is(err, ErrTooFewSamples) {
		t.Fatalf("empty history: %v", err)
	}
	if _, err := a.Recalibrate("nope", time.Minute); !errors.Is(err, ErrUnknownSensor) {
		t.Fatalf("unknown sensor: %v", err)
	}
	for i := 1; i <= 300; i++ {
		v.deliver(0, cameraFrame(uint64(i), t0.Add(time.Duration(i)*lidarPeriod)))
	}
	rc, err := a.Recalibrate("cam0", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if rc.OldThreshold != 1 || !(rc.NewThreshold > 0.55 && rc.NewThreshold <= 0.6) || rc.Samples != 300 {
		t.Errorf("recalibration %+v", rc)
	}
	if got := a.Status().Sensors[0].Threshold; got != rc.NewThreshold {
		t.Errorf("threshold in use %v", got)
	}
	// A shorter span uses fewer samples.
	if rc2, err := a.Recalibrate("cam0", 15*time.Second); err != nil || rc2.Samples != 151 {
		t.Errorf("15 s span: %+v %v", rc2, err)
	}
}

func TestRecalibrateUsesTheAlarmRule(t *testing.T) {
	// Bursts of several frames above the usual scores, below the old
	// threshold: the 99.5th percentile alone would let 3 of 5 fire.
	scores := burstyScores(6000, 5)
	clk := &fakeClock{}
	a := newTestAgent(t, clk, nil, ScorerFunc(func(f sensors.Frame) (float64, error) { return scores[f.Head().Seq], nil }), nil)
	m := a.pipes[0].judge.Model()
	m.Threshold = 100
	if err := a.pipes[0].judge.SetModel(m); err != nil {
		t.Fatal(err)
	}
	v := newVirtual(a, clk, t0)
	var seq []float64
	for i := uint64(1); i <= 6000; i++ {
		v.deliver(0, cameraFrame(i, t0.Add(time.Duration(i)*lidarPeriod)))
		seq = append(seq, float64(float32(scores[i]))) // the clean history keeps float32
	}
	rc, err := a.Recalibrate("cam0", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want, err := decision.AlarmTail([][]float64{seq}, decision.Options{}, a.pipes[0].period, decision.DefaultAlarmRate)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Samples != 6000 || rc.Alarm != want.Threshold || rc.Silence != want.Max || rc.Extrapolated != want.Fitted || rc.AlarmRate != decision.DefaultAlarmRate ||
		rc.NewThreshold != max(rc.Alarm, rc.QuantileValue) || !(rc.Silence > rc.QuantileValue) {
		t.Errorf("recalibration %+v; alarm rule on the scores %+v", rc, want)
	}
	// Ten minutes of drive hold enough episodes to extrapolate.
	if !rc.Extrapolated || !(rc.Alarm > rc.Silence) {
		t.Errorf("not extrapolated: %+v", rc)
	}
}

func TestSetModelAndValidation(t *testing.T) {
	clk := &fakeClock{}
	a := newTestAgent(t, clk, nil, scoreByStamp(func(time.Time) float64 { return 0.5 }), nil)
	v := newVirtual(a, clk, t0)
	if err := a.SetModel("cam0", SensorModel{Scorer: scoreByStamp(func(time.Time) float64 { return 9 }), Threshold: 1, ID: "m2", Version: "2"}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		v.deliver(0, cameraFrame(uint64(i), t0.Add(time.Duration(i)*lidarPeriod)))
	}
	if s := a.Status().Sensors[0]; s.Level != level.Error || s.Model != "m2@2" || s.Score != 9 {
		t.Errorf("after swap: %+v", s)
	}
	if err := a.SetModel("nope", SensorModel{}); !errors.Is(err, ErrUnknownSensor) {
		t.Error(err)
	}
	src := staticSource{sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: lidarPeriod}}
	bad := []Options{
		{Sensors: []SensorOptions{{Source: src}}},
		{Robot: "r", Sensors: nil},
		{Robot: "r", Sensors: []SensorOptions{{Source: src}, {Source: src}}},
		{Robot: "r", Sensors: []SensorOptions{{Source: staticSource{sensors.Info{Name: "x", Kind: sensors.KindCamera}}}}},
		{Robot: "r", Sensors: []SensorOptions{{Source: src}}, ScoreBudget: 2},
		{Robot: "r", Sensors: []SensorOptions{{Source: src, Model: SensorModel{Scorer: scoreByStamp(nil), Threshold: math.NaN()}}}},
		{Robot: "r", Sensors: []SensorOptions{{Source: src, Model: SensorModel{Scorer: scoreByStamp(nil), Threshold: 1, RiseLevel: 1, RiseFrames: decision.RiseWindow + 1}}}},
		{Robot: "r", Sensors: []SensorOptions{{Source: src, Model: SensorModel{Scorer: scoreByStamp(nil), Threshold: 1, RiseLevel: 1, RiseFrames: -1}}}},
	}
	for i, o := range bad {
		if _, err := New(o); !errors.Is(err, ErrOptions) {
			t.Errorf("options %d accepted: %v", i, err)
		}
	}
}

// slowScorer takes d per frame of real time.
type slowScorer struct {
	d time.Duration
	n atomic.Int64
}

func (s *slowScorer) Score(f sensors.Frame) (float64, error) {
	s.n.Add(1)
	time.Sleep(s.d)
	return 0.1, nil
}

func TestRunQueueDropsDecimationAndStop(t *testing.T) {
	frames := sensortest.Series(8, t0, 5*time.Millisecond, func(seq uint64, at time.Time) sensors.Frame {
		return sensortest.GrayImage("cam0", seq, at, 64, 48)
	})
	src, err := sensortest.NewSource(sensors.Info{Name: "cam0", Kind: sensors.KindCamera}, frames, sensortest.SourceOptions{Period: 5 * time.Millisecond, Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	rec := &reportRecorder{}
	sc := &slowScorer{d: 20 * time.Millisecond}
	a, err := New(Options{
		Robot:      "r1",
		Sensors:    []SensorOptions{{Source: src, Model: SensorModel{Scorer: sc, Threshold: 1}}},
		Reporter:   rec,
		Registerer: reg,
		QueueLen:   2,
		Heartbeat:  100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runAgent(t, a)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s := a.Status().Sensors[0]
		if s.QueueDrops > 0 && s.Decimation > 1 && a.Progress() > 10 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for time.Now().Before(deadline) {
		if reports, _, _ := rec.snapshot(); slices.ContainsFunc(reports, func(r SensorReport) bool { return r.Heartbeat }) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s := a.Status().Sensors[0]
	if s.QueueDrops == 0 || s.Decimation < 2 || s.Scored >= s.Frames {
		t.Errorf("expected drops and decimation: %+v", s)
	}
	if !strings.Contains(strings.Join(a.Lines(), "\n"), "scoring 1/") {
		t.Errorf("live view does not say it decimates: %q", a.Lines())
	}
	b, err := json.Marshal(a.Status())
	if err != nil || !strings.Contains(string(b), `"decimation"`) {
		t.Errorf("status json %s %v", b, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if src.Running() {
		t.Error("source still running after Run returned")
	}
	if err := a.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: %v", err)
	}
	// Heartbeats, summary and metrics.
	reports, sums, _ := rec.snapshot()
	beats := 0
	for _, r := range reports {
		if r.Heartbeat {
			beats++
		}
	}
	if beats == 0 || len(sums) == 0 {
		t.Errorf("%d heartbeats, %d summaries reported", beats, len(sums))
	}
	checkStartAndStop(t, reports, sums)
	checkExpiry(t, reports, sums, 100*time.Millisecond)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				got[mf.GetName()] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				got[mf.GetName()] = float64(m.GetHistogram().GetSampleCount())
			case m.GetGauge() != nil:
				got[mf.GetName()] = m.GetGauge().GetValue()
			}
		}
	}
	if got["trustagent_queue_drops_total"] == 0 || got["trustagent_scorer_seconds"] == 0 || got["trustagent_frames_total"] == 0 || got["trustagent_decimation"] < 2 {
		t.Errorf("metrics %v", got)
	}
	if got["trustagent_threshold"] != 1 {
		t.Errorf("threshold gauge %v, want the model's 1", got["trustagent_threshold"])
	}
	// A second agent on the same registry (a reload) reuses the collectors.
	if _, err := New(Options{Robot: "r1", Sensors: []SensorOptions{{Source: src}}, Registerer: reg}); err != nil {
		t.Errorf("re-register: %v", err)
	}
}

func TestHostSampleAndHealthMessage(t *testing.T) {
	clk := &fakeClock{}
	clk.set(t0)
	rec := &reportRecorder{}
	a, err := New(Options{
		Robot:    "r1",
		Sensors:  []SensorOptions{{Source: staticSource{sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: lidarPeriod}}}},
		Reporter: rec,
		Clock:    clk,
		Host:     HostOptions{Collector: host.New(host.Options{StateDir: t.TempDir()}), ID: "host", Version: "0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.sampleHost(context.Background(), t0)
	a.publishAll(context.Background(), t0)
	st := a.Status()
	if st.Host == nil || st.Host.Level != level.OK || st.Host.Features["rss_mb"] <= 0 {
		t.Fatalf("host status %+v", st.Host)
	}
	found := false
	_, _, hs := rec.snapshot()
	for _, h := range hs {
		found = h.Sample.RSSBytes > 0 && h.Level == level.OK && h.ModelID == "host"
		// A consumer treats a health message it has not seen renewed
		// within three heartbeats as STALE, as a sensor's state.
		if want := h.Time.Add(ExpiryHeartbeats * a.opts.Heartbeat); !h.Expires.Equal(want) {
			t.Errorf("health expires %v, want %v", h.Expires, want)
		}
	}
	if !found {
		t.Error("no health message with the host sample")
	}
}

// checkStartAndStop checks the first and the last reports of a run: each
// sensor's and the summary's first is the run's change 1 (the low 32 bits
// of seq), STALE because nothing was judged yet; the last is a change, STALE because the agent stops; no
// heartbeat repeats a change that was not reported.
func checkStartAndStop(t *testing.T, reports []SensorReport, sums []SummaryReport) {
	t.Helper()
	if len(reports) == 0 || len(sums) == 0 {
		t.Fatal("nothing reported")
	}
	first, last := reports[0], reports[len(reports)-1]
	const run = 1<<32 - 1
	if st := first.Judge.State; first.Heartbeat || first.Seq&run != 1 || st.Level != LevelStale || st.Trusted || st.Message() != "STALE: no frame judged yet" {
		t.Errorf("first report: seq %d heartbeat %v %v trusted=%v %q", first.Seq, first.Heartbeat, st.Level, st.Trusted, st.Message())
	}
	if st := last.Judge.State; last.Heartbeat || st.Level != LevelStale || st.Trusted || st.Message() != "STALE: trustd stopping" {
		t.Errorf("last report: heartbeat %v %v trusted=%v %q", last.Heartbeat, st.Level, st.Trusted, st.Message())
	}
	if s := sums[0]; s.Seq&run != 1 || s.Heartbeat || s.Summary.Trusted || s.Summary.Level != LevelStale {
		t.Errorf("first summary: %+v", s)
	}
	if s := sums[len(sums)-1]; s.Heartbeat || s.Summary.Trusted || s.Summary.Level != LevelStale {
		t.Errorf("last summary: %+v", s)
	}
	var seqs, sumSeqs []uint64
	var beats, sumBeats []bool
	for _, r := range reports {
		seqs, beats = append(seqs, r.Seq), append(beats, r.Heartbeat)
	}
	for _, s := range sums {
		sumSeqs, sumBeats = append(sumSeqs, s.Seq), append(sumBeats, s.Heartbeat)
	}
	checkChanges(t, "sensor", seqs, beats)
	checkChanges(t, "summary", sumSeqs, sumBeats)
}

// checkExpiry checks that every state and summary expires ExpiryHeartbeats
// heartbeats after it was made.
func checkExpiry(t *testing.T, reports []SensorReport, sums []SummaryReport, heartbeat time.Duration) {
	t.Helper()
	for _, r := range reports {
		if want := r.Time.Add(3 * heartbeat); !r.Expires.Equal(want) || r.Time.IsZero() {
			t.Fatalf("state made at %v expires at %v, want %v", r.Time, r.Expires, want)
		}
	}
	for _, s := range sums {
		if want := s.Time.Add(3 * heartbeat); !s.Expires.Equal(want) || s.Time.IsZero() {
			t.Fatalf("summary made at %v expires at %v, want %v", s.Time, s.Expires, want)
		}
	}
}

// TestRestartNumbersAboveThePreviousRun runs the agent twice on one state
// directory, as trustd does across a restart: every state and summary of
// the second run, heartbeats included, is numbered above every one of the
// first, so a consumer never keeps an older run's state as the newer.
func TestRestartNumbersAboveThePreviousRun(t *testing.T) {
	dir := outbox.DirFS(t.TempDir())
	run := func() ([]SensorReport, []SummaryReport) {
		seq, err := outbox.OpenSequencer(dir)
		if err != nil {
			t.Fatal(err)
		}
		rec := &reportRecorder{}
		a, err := New(Options{
			Robot:     "r1",
			Sensors:   []SensorOptions{{Source: staticSource{sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: lidarPeriod}}}},
			Reporter:  rec,
			Sequencer: seq,
			Heartbeat: 100 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		stop := runAgent(t, a)
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, sums, _ := rec.snapshot(); slices.ContainsFunc(sums, func(s SummaryReport) bool { return s.Heartbeat }) {
				break
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		reports, sums, _ := rec.snapshot()
		checkStartAndStop(t, reports, sums)
		return reports, sums
	}
	r1, s1 := run()
	r2, s2 := run()
	var top, topSum uint64
	for _, r := range r1 {
		top = max(top, r.Seq)
	}
	for _, s := range s1 {
		topSum = max(topSum, s.Seq)
	}
	for _, r := range r2 {
		if r.Seq <= top {
			t.Errorf("after the restart: state seq %d (heartbeat %v), the previous run reached %d", r.Seq, r.Heartbeat, top)
		}
	}
	for _, s := range s2 {
		if s.Seq <= topSum {
			t.Errorf("after the restart: summary seq %d (heartbeat %v), the previous run reached %d", s.Seq, s.Heartbeat, topSum)
		}
	}
	if !slices.ContainsFunc(r2, func(r SensorReport) bool { return r.Heartbeat }) {
		t.Error("no heartbeat in the second run")
	}
}

// checkChanges checks a stream of reports' numbers: each change one above
// the previous change, each heartbeat repeating the latest change.
func checkChanges(t *testing.T, what string, seqs []uint64, heartbeat []bool) {
	t.Helper()
	if len(seqs) == 0 {
		t.Errorf("no %s reports", what)
		return
	}
	change := seqs[0] - 1
	for i, seq := range seqs {
		switch {
		case !heartbeat[i] && seq != change+1:
			t.Errorf("%s change %d after change %d", what, seq, change)
		case heartbeat[i] && seq != change:
			t.Errorf("%s heartbeat with seq %d after change %d", what, seq, change)
		}
		if !heartbeat[i] {
			change = seq
		}
	}
}

// failingSource never delivers: its device does not open, which it only
// records, as the device drivers do while they retry.
type failingSource struct{ staticSource }

func (failingSource) LastError() error {
	return errors.New("open /dev/video0: no such file or directory")
}

// TestDeviceFailureIsShownAndLogged: a driver that retries its device
// quietly still tells the operator why its sensor is STALE, in the status
// and once in the log.
func TestDeviceFailureIsShownAndLogged(t *testing.T) {
	var logs bytes.Buffer
	log := zerolog.New(&logs)
	a, err := New(Options{
		Robot:    "r1",
		Sensors:  []SensorOptions{{Source: failingSource{staticSource{sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: lidarPeriod}}}}},
		Reporter: &reportRecorder{},
		Logger:   &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runAgent(t, a)
	deadline := time.Now().Add(5 * time.Second)
	for a.Status().Sensors[0].DeviceError == "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(2200 * time.Millisecond) // two more checks: the same failure is logged once
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	s := a.Status().Sensors[0]
	if !strings.Contains(s.DeviceError, "/dev/video0") || s.Level != level.Stale {
		t.Errorf("status: level %v, device error %q", s.Level, s.DeviceError)
	}
	if n := strings.Count(logs.String(), "sensor device failed"); n != 1 {
		t.Errorf("device failure logged %d times, want once:\n%s", n, logs.String())
	}
}

// runAgent runs a in a goroutine until the returned stop is called; stop
// cancels Run and returns its error, and fails the test when Run has not
// returned 3 s after the cancel.
func runAgent(t testing.TB, a *Agent) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(3 * time.Second):
			t.Fatal("Run did not return after cancel")
			return nil
		}
	}
}
