package agent

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// defaultModels opens a committed default bundle (deploy/models).
func defaultModels(tb testing.TB, kind sensors.Kind) *modelbundle.Models {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "deploy", "models", kind.String()+".bundle"))
	if err != nil {
		tb.Fatal(err)
	}
	ms, err := modelbundle.Open(context.Background(), data, kind)
	if err != nil {
		tb.Fatal(err)
	}
	return ms
}

// defaultSensorModel is the sensor model trustd makes of a bundle
// (cmd/trustd's sensorModelOf).
func defaultSensorModel(ms *modelbundle.Models) SensorModel {
	return SensorModel{Scorer: ms.VAE.NewFixedScorer(), Threshold: ms.VAE.Threshold(), WarnThreshold: ms.ScoreWarn,
		RiseLevel: ms.ScoreRise, RiseFrames: ms.RiseFrames, Health: ms.Health, ID: ms.Bundle.ModelID, Version: "1"}
}

// faultyRecording writes 24 s of simulated 320×240 camera at 15 fps into
// a recording: gaussian noise from 6 s to 10 s, a frozen stretch from 13 s
// (the frozen fault), and no frames from 17 s to 19.5 s (the stream goes
// STALE).
func faultyRecording(t *testing.T) string {
	t.Helper()
	r := newRig(t, rigOptions{camW: 320, camH: 240, camPeriod: time.Second / 15})
	sc, err := faults.ParseScenario([]byte(`
events:
  - {at: 6s, for: 4s, sensor: cam0, fault: gaussian_noise, severity: 2}
  - {at: 13s, for: 3s, sensor: cam0, fault: frozen, severity: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	info := r.cam.Info()
	info.Name = "cam0"
	start := r.cam.Frame(0).Head().Stamp
	pl, err := faults.NewPlayer(sc, info, start)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cam0")
	w, err := recorded.NewDirWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < 24*15; i++ {
		f := r.cam.Frame(i)
		at := f.Head().Stamp.Sub(start)
		for _, o := range pl.Push(f) {
			if at >= 17*time.Second && at < 19500*time.Millisecond {
				continue
			}
			if err := w.Write(o.Frame); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// judged is one frame's outcome, as trustctl score writes it.
type judged struct {
	Level   string         `json:"level"`
	Score   float64        `json:"score"`
	Reasons []level.Reason `json:"reasons"`
	// StaleBefore is the silence that made the stream STALE before this
	// frame, if it did.
	StaleBefore float64 `json:"stale_before_s"`
}

func (j judged) String() string {
	b, _ := json.Marshal(j)
	return string(b)
}

// TestTrustdAndTrustctlScoreAgree feeds one recorded stream (a fault, a
// frozen stretch, a gap that makes it STALE) through trustd's path (the
// driver callback, the queue, the worker and the ticker of the agent, on a
// virtual clock) and through `trustctl score`, and requires the same
// level, reasons and score on every frame.
func TestTrustdAndTrustctlScoreAgree(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("judges 323 camera frames twice and builds trustctl (minutes under -race; make test runs it without)")
	}
	ms := defaultModels(t, sensors.KindCamera)
	dir := faultyRecording(t)
	d, err := recorded.OpenDir(dir, recorded.DirOptions{Sensor: "cam0"})
	if err != nil {
		t.Fatal(err)
	}
	period := time.Second / 15

	// trustd's path.
	clk := &fakeClock{}
	a, err := New(Options{
		Robot: "r1", Clock: clk,
		Sensors: []SensorOptions{{
			Source: staticSource{sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: period}},
			Model:  defaultSensorModel(ms),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := d.Read(0)
	if err != nil {
		t.Fatal(err)
	}
	v := newVirtual(a, clk, first.Head().Received)
	var daemon []judged
	levels := map[level.Level]int{}
	for i := 0; i < d.Len(); i++ {
		f, err := d.Read(i)
		if err != nil {
			t.Fatal(err)
		}
		v.advance(f.Head().Received)
		var silent float64
		if st := a.pipes[0].judge.Snapshot().State; st.Level == level.Stale {
			silent = st.Reasons[0].Value
			levels[level.Stale]++
		}
		v.deliver(0, f)
		st := a.pipes[0].judge.Snapshot().State
		levels[st.Level]++
		daemon = append(daemon, judged{Level: st.Level.String(), Score: st.Score, Reasons: append([]level.Reason{}, st.Reasons...), StaleBefore: silent})
	}
	for _, l := range []level.Level{level.OK, level.Error, level.Stale} {
		if levels[l] == 0 {
			t.Fatalf("the stream never reaches %v on trustd's path (%v): the test would prove little", l, levels)
		}
	}
	frozen := false
	for _, j := range daemon {
		for _, r := range j.Reasons {
			if r.Code == level.Frozen {
				frozen = true
			}
		}
	}
	if !frozen {
		t.Fatal("the frozen stretch is never reported")
	}

	// trustctl score.
	bin := filepath.Join(t.TempDir(), "trustctl")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(gobin, "build", "-o", bin, "../cmd/trustctl").CombinedOutput(); err != nil {
		t.Fatalf("build trustctl: %v\n%s", err, out)
	}
	model := filepath.Join(t.TempDir(), "camera.bundle")
	data, _ := os.ReadFile(filepath.Join("..", "deploy", "models", "camera.bundle"))
	if err := os.WriteFile(model, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "scores.jsonl")
	if b, err := exec.Command(bin, "score", "--model", model, "--in", dir, "--out", out).CombinedOutput(); err != nil {
		t.Fatalf("trustctl score: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var offline []judged
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var j judged
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			t.Fatal(err)
		}
		offline = append(offline, j)
	}
	if len(offline) != len(daemon) {
		t.Fatalf("trustctl score wrote %d lines for %d frames", len(offline), len(daemon))
	}
	for i := range daemon {
		want, got := daemon[i], offline[i]
		if math.IsNaN(want.Score) {
			want.Score = math.MaxFloat64
		}
		if want.String() != got.String() {
			t.Fatalf("frame %d:\n trustd         %v\n trustctl score %v", i, want, got)
		}
	}
	t.Logf("%d frames agree; levels on trustd's path: %v", len(daemon), fmt.Sprint(levels))
}

// benchJudge measures one whole judged frame with a committed default
// model: timing checks, frozen-frame hash, frame statistics, health
// autoencoder, fixed-point score and decision.
func benchJudge(b *testing.B, g generator) {
	info := g.Info()
	ms := defaultModels(b, info.Kind)
	j, err := NewJudge(JudgeOptions{Kind: info.Kind, Period: info.Period, Model: defaultSensorModel(ms)})
	if err != nil {
		b.Fatal(err)
	}
	const n = 16
	src := make([]sensors.Frame, n)
	for i := range src {
		src[i] = g.Frame(uint64(i))
	}
	t0 := src[0].Head().Stamp
	j.Start(t0)
	judge := func(i int) Verdict {
		f := src[i%n]
		h := f.Head()
		h.Seq = uint64(i + 1)
		h.Stamp = t0.Add(time.Duration(i) * info.Period)
		h.Received = h.Stamp.Add(5 * time.Millisecond)
		if i%4 == 0 {
			j.Tick(h.Received, j.TickInterval())
		}
		return j.Frame(f, j.Observe(*h), 0)
	}
	for i := range 2 * n { // warm the scratch buffers and the window
		judge(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 2 * n
	for b.Loop() {
		if v := judge(i); v.ScoreErr != nil || !v.Scored {
			b.Fatalf("frame %d not scored: %v", i, v.ScoreErr)
		}
		i++
	}
}

func BenchmarkJudgeLidar(b *testing.B) {
	benchJudge(b, newRig(b, rigOptions{}).lidar)
}

func BenchmarkJudgeCamera(b *testing.B) {
	benchJudge(b, newRig(b, rigOptions{camW: 320, camH: 240}).cam)
}

// TestJudgeStartsStale: a new judge publishes no trust it has not earned.
func TestJudgeStartsStale(t *testing.T) {
	j, err := NewJudge(JudgeOptions{Kind: sensors.KindCamera, Period: lidarPeriod})
	if err != nil {
		t.Fatal(err)
	}
	j.Start(t0)
	st := j.Snapshot().State
	if st.Level != LevelStale || st.Trusted || st.Message() != "STALE: no frame judged yet" {
		t.Fatalf("before the first frame: %v trusted=%v %q", st.Level, st.Trusted, st.Message())
	}
	// Silence before the first frame says why, not "no data for".
	if v := j.Tick(t0.Add(5*time.Second), 100*time.Millisecond); v.Changed || v.Message() != "STALE: no frame judged yet" {
		t.Errorf("tick before the first frame: changed=%v %q", v.Changed, v.Message())
	}
	f := cameraFrame(1, t0.Add(lidarPeriod))
	v := j.Frame(f, j.Observe(*f.Head()), 0)
	if v.Level == LevelStale || !v.Trusted || !v.Changed {
		t.Errorf("first frame: %v trusted=%v changed=%v", v.Level, v.Trusted, v.Changed)
	}
	// The tick after a frame that changed the level is no second change:
	// trustd would publish the change twice.
	if v := j.Tick(t0.Add(lidarPeriod+10*time.Millisecond), 100*time.Millisecond); v.Changed || v.Level != LevelOK {
		t.Errorf("tick after the first frame: %v changed=%v", v.Level, v.Changed)
	}
}

// BenchmarkJudgeCameraSize and BenchmarkJudgeLidarRings show how a judged
// frame's cost scales with the sensor, with the default models (the camera
// model thumbnails any size; the 16-ring LiDAR model takes each ring of a
// denser scan into the row nearest its elevation, or drops it). The table
// in docs/performance.md is made from them.
func BenchmarkJudgeCameraSize(b *testing.B) {
	for _, sz := range [][2]int{{320, 240}, {640, 480}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			benchJudge(b, newRig(b, rigOptions{camW: sz[0], camH: sz[1]}).cam)
		})
	}
}

func BenchmarkJudgeLidarRings(b *testing.B) {
	for _, rings := range []int{16, 32, 128} {
		b.Run(fmt.Sprintf("%d", rings), func(b *testing.B) {
			benchJudge(b, newRig(b, rigOptions{lidarRings: rings}).lidar)
		})
	}
}

// TestJudgeFlagsReturnsOffTheirCones: returns moved off their laser's cone
// (crosstalk) are bad frames whatever the models say, and a sensor whose
// driver deskews turns the check off.
func TestJudgeFlagsReturnsOffTheirCones(t *testing.T) {
	g := newRig(t, rigOptions{}).lidar
	info := g.Info()
	for _, off := range []bool{false, true} {
		j, err := NewJudge(JudgeOptions{Kind: sensors.KindLidar, Period: info.Period, NoConeCheck: off})
		if err != nil {
			t.Fatal(err)
		}
		j.Start(t0)
		var v Verdict
		for i := range 5 {
			s := g.Frame(uint64(i)).(*sensors.Scan)
			c := *s
			c.Points = append([]sensors.Point(nil), s.Points...)
			for k := range c.Points {
				if p := &c.Points[k]; k%100 == 0 && p.Range > 2 {
					p.Z += 3
					p.Range = float32(math.Sqrt(float64(p.X*p.X + p.Y*p.Y + p.Z*p.Z)))
				}
			}
			c.Header.Stamp = t0.Add(time.Duration(i+1) * info.Period)
			c.Header.Received = c.Header.Stamp
			c.Header.Seq = uint64(i + 1)
			v = j.Frame(&c, j.Observe(c.Header), 0)
		}
		var found *Reason
		for k := range v.Reasons {
			if v.Reasons[k].Code == "off_cone" {
				found = &v.Reasons[k]
			}
		}
		switch {
		case off && (found != nil || v.Level != LevelOK):
			t.Errorf("check off: %v, reasons %v", v.Level, v.Reasons)
		case !off && (found == nil || found.Level != LevelError || v.Level != LevelError || found.Value < 0.005):
			t.Errorf("check on: %v, reasons %v; want ERROR for about 1 %% of returns off their cones", v.Level, v.Reasons)
		}
	}
}

// TestJudgeRiseAlarm: a score that steps up tenfold and stays, far below
// the threshold, is a fault appearing (score_rise, ERROR) for a model with
// a rise level and nothing for one without; it enters ERROR on the third
// bad frame once the model's hold has passed. The level learns only
// trusted frames, so the fault stays ERROR; after RiseHold it is
// forgotten, the stream is trusted again and the new level is its normal.
func TestJudgeRiseAlarm(t *testing.T) {
	for _, frames := range []int{0, 2} {
		t.Run(fmt.Sprintf("hold%d", frames), func(t *testing.T) { testJudgeRiseAlarm(t, frames) })
	}
}

func testJudgeRiseAlarm(t *testing.T, frames int) {
	const step = 60
	hold := int(RiseHold / lidarPeriod)
	score := func(seq uint64) float64 {
		if seq < step {
			return 2 + 0.1*float64(seq%3)
		}
		return 20 + 0.1*float64(seq%3)
	}
	for _, rise := range []float64{0, 1} {
		j, err := NewJudge(JudgeOptions{Kind: sensors.KindCamera, Period: lidarPeriod, Model: SensorModel{
			Scorer:    ScorerFunc(func(f sensors.Frame) (float64, error) { return score(f.Head().Seq), nil }),
			Threshold: 1000, RiseLevel: rise, RiseFrames: frames,
		}})
		if err != nil {
			t.Fatal(err)
		}
		j.Start(t0)
		var firstErr, back = -1, -1
		for i := range step + hold + 40 {
			f := cameraFrame(uint64(i), t0.Add(time.Duration(i+1)*lidarPeriod))
			v := j.Frame(f, j.Observe(*f.Head()), 0)
			if v.Level == LevelError && firstErr < 0 {
				firstErr = i
				if v.Reasons[0].Code != level.ScoreRise || !(v.Reasons[0].Value > math.Log(21.0/3.2)-1e-9 && v.Reasons[0].Value < math.Log(21.0/3.0)) {
					t.Errorf("rise level %v: ERROR for %v", rise, v.Reasons)
				}
			}
			if firstErr >= 0 && back < 0 && v.Trusted {
				back = i
			}
			if back >= 0 && !v.Trusted {
				t.Fatalf("rise level %v: untrusted again at frame %d: %v", rise, i, v.Reasons)
			}
		}
		switch {
		case rise == 0 && firstErr >= 0:
			t.Errorf("no rise alarm: ERROR at frame %d", firstErr)
		case rise > 0 && firstErr != step+cmp.Or(frames, decision.RiseFrames)+1:
			t.Errorf("rise alarm: first ERROR at frame %d, want %d (the third bad frame once the rise held)", firstErr, step+cmp.Or(frames, decision.RiseFrames)+1)
		case rise > 0 && (back < step+hold || back > step+hold+15):
			t.Errorf("rise alarm: trusted again at frame %d, want within %d frames after the level is forgotten at %d", back, 15, step+hold)
		}
	}
}

// TestJudgeDecimatedScoreEntersError: a scorer too slow for its budget is
// run on every n-th frame only; a fault only the score sees still enters
// ERROR and stays there, however large n grows.
func TestJudgeDecimatedScoreEntersError(t *testing.T) {
	j, err := NewJudge(JudgeOptions{Kind: sensors.KindCamera, Period: lidarPeriod, ScoreBudget: 200 * time.Microsecond, Model: SensorModel{
		Scorer: ScorerFunc(func(sensors.Frame) (float64, error) {
			time.Sleep(2 * time.Millisecond)
			return 100, nil
		}),
		Threshold: 10,
	}})
	if err != nil {
		t.Fatal(err)
	}
	j.Start(t0)
	var v Verdict
	entered, decim := -1, 1
	for i := range 600 {
		f := cameraFrame(uint64(i), t0.Add(time.Duration(i+1)*lidarPeriod))
		v = j.Frame(f, j.Observe(*f.Head()), 0)
		decim = max(decim, v.Decimation)
		if v.Level == LevelError && entered < 0 {
			entered = i
		}
		if entered >= 0 && v.Level != LevelError {
			t.Fatalf("every %d-th frame scored: left ERROR at frame %d for %v", v.Decimation, i, v.Level)
		}
	}
	if decim < 3 {
		t.Fatalf("a 2 ms scorer on a 0.2 ms budget is decimated to every %d-th frame, want at least 3", decim)
	}
	if entered < 0 || v.Level != LevelError || v.Trusted {
		t.Errorf("every %d-th frame scored, every score above the threshold: entered ERROR at frame %d, last level %v", decim, entered, v.Level)
	}
}
