package agent

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hostsim"
	"github.com/sensortrust/trustagent/agent/host/hosttest"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

func newHostAgent(t *testing.T, dir string, m host.Sampler) (*Agent, *reportRecorder, *host.Learner) {
	t.Helper()
	l, err := host.OpenLearner(host.LearnOptions{Dir: dir, Samples: 300, Train: health.TrainOptions{Epochs: 30}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	clk := &fakeClock{}
	clk.set(t0)
	rec := &reportRecorder{}
	a, err := New(Options{
		Robot:    "r1",
		Sensors:  []SensorOptions{{Source: staticSource{sensors.Info{Name: "cam0", Kind: sensors.KindCamera, Period: lidarPeriod}}}},
		Reporter: rec,
		Clock:    clk,
		Host:     HostOptions{Collector: m, Learner: l},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, rec, l
}

func (a *Agent) phase() HostPhase {
	a.hostMu.Lock()
	defer a.hostMu.Unlock()
	return a.hostPhase
}

func TestHostLearnsThenJudges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := &hostsim.Machine{Seed: 1}
	a, rec, _ := newHostAgent(t, dir, m)
	if p := a.phase(); p.State != PhaseLearning || p.Want != 300 {
		t.Fatalf("fresh agent: %+v", p)
	}
	// A throttled sample is not learnt.
	a.opts.Host.Collector = &hosttest.Playback{Samples: []host.Sample{{Throttled: true}}}
	a.sampleHost(ctx, t0)
	if p := a.phase(); p.Have != 0 || p.Paused != "throttled" {
		t.Fatalf("throttled sample: %+v", p)
	}
	a.opts.Host.Collector = m
	now := t0
	for i := range 300 {
		now = t0.Add(time.Duration(i+1) * time.Second)
		a.sampleHost(ctx, now)
		if i == 149 {
			a.publishHealth(ctx, now)
		}
	}
	a.hostWG.Wait()
	if p := a.phase(); p.State != PhaseJudging {
		t.Fatalf("after 300 samples: %+v", p)
	}
	_, _, hs := rec.snapshot()
	var learning, judging bool
	for _, h := range hs {
		learning = learning || (h.Phase.State == PhaseLearning && h.Phase.Have == 150 && h.Detail == "learning: 150 of 300 samples")
		judging = judging || (h.Phase.State == PhaseJudging && strings.HasPrefix(h.ModelID, "host-"))
	}
	if !learning || !judging {
		t.Errorf("health reports: learning seen %v, judging seen %v", learning, judging)
	}

	// Under-voltage: the host goes bad, the summary blames the host, and
	// the detail names the feature in words.
	m.Faults = []hostsim.Fault{{Kind: hostsim.UnderVoltage, Start: now, Duration: time.Hour}}
	for i := range 30 {
		a.sampleHost(ctx, now.Add(time.Duration(i+1)*time.Second))
	}
	a.hostMu.Lock()
	lvl, detail := a.hostLevel, a.hostDetail()
	a.hostMu.Unlock()
	if lvl == level.OK || !strings.Contains(detail, "under-voltage yes") {
		t.Errorf("under-voltage: level %v, detail %q", lvl, detail)
	}
	if s := a.fuse(); s.Cause != level.CauseHost || s.Level == level.OK {
		t.Errorf("summary %v cause %v, want the host blamed", s.Level, s.Cause)
	}

	// A restart loads the learnt model and judges at once.
	b, _, _ := newHostAgent(t, dir, &hostsim.Machine{Seed: 2})
	if p := b.phase(); p.State != PhaseJudging {
		t.Fatalf("restart: %+v", p)
	}
	// Relearning starts over.
	if p, err := b.RelearnHost(ctx); err != nil || p.State != PhaseLearning || p.Have != 0 {
		t.Fatalf("relearn: %+v, %v", p, err)
	}
}

func TestHostLearningResumesAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := &hostsim.Machine{Seed: 1}
	a, _, l := newHostAgent(t, dir, m)
	for i := range 40 {
		a.sampleHost(ctx, t0.Add(time.Duration(i)*time.Second))
	}
	l.Close()
	b, _, _ := newHostAgent(t, dir, m)
	if p := b.phase(); p.State != PhaseLearning || p.Have != 40 {
		t.Fatalf("after restart: %+v", p)
	}
}

// judgingMachine records when the agent said a model judges it.
type judgingMachine struct {
	*hostsim.Machine
	told []time.Time
}

func (j *judgingMachine) Judging(now time.Time) { j.told = append(j.told, now) }

func TestHostSamplerToldWhenJudgingBegins(t *testing.T) {
	ctx := context.Background()
	m := &judgingMachine{Machine: &hostsim.Machine{Seed: 1}}
	a, _, _ := newHostAgent(t, t.TempDir(), m)
	for i := range 300 {
		a.sampleHost(ctx, t0.Add(time.Duration(i)*time.Second))
	}
	a.hostWG.Wait()
	if len(m.told) != 0 || a.phase().State != PhaseJudging {
		t.Fatalf("while learning: told %v, phase %+v", m.told, a.phase())
	}
	for i := 300; i < 305; i++ {
		a.sampleHost(ctx, t0.Add(time.Duration(i)*time.Second))
	}
	if want := t0.Add(300 * time.Second); len(m.told) != 1 || !m.told[0].Equal(want) {
		t.Fatalf("told %v, want once at %v", m.told, want)
	}
}

// fullDiskLearner is a learner whose state disk is full while full is set:
// Add keeps nothing and says why, as host.Learner does on ENOSPC.
type fullDiskLearner struct {
	*host.Learner
	full bool
}

func (f *fullDiskLearner) Add(s host.Sample) (host.Progress, error) {
	if f.full {
		return f.Progress(), fmt.Errorf("host: sample log: write samples.log: %w", syscall.ENOSPC)
	}
	return f.Learner.Add(s)
}

func TestHostLearningPausesOnAFullDisk(t *testing.T) {
	ctx := context.Background()
	m := &hostsim.Machine{Seed: 1}
	a, _, l := newHostAgent(t, t.TempDir(), m)
	fl := &fullDiskLearner{Learner: l}
	a.opts.Host.Learner = fl
	i := 0
	step := func(n int) {
		for range n {
			i++
			a.sampleHost(ctx, t0.Add(time.Duration(i)*time.Second))
		}
	}
	step(50)
	fl.full = true
	step(100)
	if p := a.phase(); p.State != PhaseLearning || p.Have != 50 || !strings.HasPrefix(p.Paused, "sample log: ") || !strings.Contains(p.Paused, "no space left") {
		t.Fatalf("disk full: %+v", p)
	}
	fl.full = false
	step(1)
	if p := a.phase(); p.State != PhaseLearning || p.Have != 51 || p.Paused != "" {
		t.Fatalf("disk freed: %+v", p)
	}
	step(249)
	a.hostWG.Wait()
	if p := a.phase(); p.State != PhaseJudging {
		t.Fatalf("after 300 kept samples: %+v", p)
	}
}

// failingLearner fails its first training.
type failingLearner struct {
	*host.Learner
	fails int
}

func (f *failingLearner) Train(ctx context.Context) (*health.Model, health.TrainReport, error) {
	if f.fails > 0 {
		f.fails--
		return nil, health.TrainReport{}, context.DeadlineExceeded
	}
	return f.Learner.Train(ctx)
}

func TestHostTrainingRetriesAfterAFailure(t *testing.T) {
	ctx := context.Background()
	m := &hostsim.Machine{Seed: 1}
	a, _, l := newHostAgent(t, t.TempDir(), m)
	fl := &failingLearner{Learner: l, fails: 1}
	a.opts.Host.Learner = fl
	i := 0
	step := func(n int) {
		for range n {
			i++
			a.sampleHost(ctx, t0.Add(time.Duration(i)*time.Second))
		}
		a.hostWG.Wait()
	}
	step(300)
	if p := a.phase(); p.State != PhaseLearning || fl.fails != 0 {
		t.Fatalf("after the failed training: %+v", p)
	}
	step(29)
	if p := a.phase(); p.State != PhaseLearning {
		t.Fatalf("retried too early: %+v", p)
	}
	step(1)
	if p := a.phase(); p.State != PhaseJudging {
		t.Fatalf("not retried after a tenth more samples: %+v", p)
	}
}

// TestHostModelInstalledStopsLearning: a host model installed from a bundle
// judges at once, names itself and its source in the health and the
// status, and the learner keeps no more samples; a model over other
// features is refused and the installed one keeps judging; relearning goes
// back to learning here.
func TestHostModelInstalledStopsLearning(t *testing.T) {
	ctx := context.Background()
	m := &hostsim.Machine{Seed: 1}
	a, rec, l := newHostAgent(t, t.TempDir(), m)
	for i := range 50 {
		a.sampleHost(ctx, t0.Add(time.Duration(i)*time.Second))
	}
	if p := l.Progress(); p.Have != 50 {
		t.Fatalf("learnt %d samples", p.Have)
	}
	fleet := trainedHostModel(t, 7)
	if err := a.SetHostModel(ctx, HostModel{Model: fleet, ID: "host-fleet", Version: "3", Source: HostBundle}); err != nil {
		t.Fatal(err)
	}
	if p := a.phase(); p.State != PhaseJudging {
		t.Fatalf("after the install: %+v", p)
	}
	_, _, hs := rec.snapshot()
	if h := hs[len(hs)-1]; h.ModelID != "host-fleet" || h.ModelVersion != "3" || h.ModelSource != HostBundle {
		t.Errorf("health after the install names %q %q %q", h.ModelID, h.ModelVersion, h.ModelSource)
	}
	if st := a.Status().Host; st.Model != "host-fleet@3" || st.Source != HostBundle {
		t.Errorf("status host model %q source %q", st.Model, st.Source)
	}
	now := t0.Add(50 * time.Second)
	for range 300 {
		now = now.Add(time.Second)
		a.sampleHost(ctx, now)
	}
	a.hostWG.Wait()
	a.hostMu.Lock()
	have, eval := a.hostHave, a.hostEval
	a.hostMu.Unlock()
	if p := l.Progress(); p.Have != 50 || !have || eval.Model() != fleet {
		t.Fatalf("after 300 samples under the installed model: learnt %d, verdict %v, judging with the installed model %v", p.Have, have, eval.Model() == fleet)
	}

	other := trainedHostModel(t, 8)
	other.Names = append([]string(nil), other.Names...)
	other.Names[0] = "another_build"
	if err := a.SetHostModel(ctx, HostModel{Model: other, ID: "host-old", Source: HostBundle}); err == nil {
		t.Fatal("a host model over other features was installed")
	}
	if st := a.Status().Host; st.Model != "host-fleet@3" {
		t.Errorf("after the refusal the status names %q", st.Model)
	}

	if p, err := a.RelearnHost(ctx); err != nil || p.State != PhaseLearning || p.Have != 0 {
		t.Fatalf("relearn: %+v %v", p, err)
	}
	if st := a.Status().Host; st.Model != "" || st.Source != "" {
		t.Errorf("after relearn the status names %q from %q", st.Model, st.Source)
	}
}

// trainedHostModel trains a host model on a simulated machine's samples.
func trainedHostModel(t *testing.T, seed uint64) *health.Model {
	t.Helper()
	m := &hostsim.Machine{Seed: seed}
	rows := make([][]float64, 300)
	for i := range rows {
		rows[i] = m.Sample(t0.Add(time.Duration(i) * time.Second)).Features(nil)
	}
	opts := host.LearnOptions{ID: "host-fleet"}
	opts.Train.Epochs, opts.Train.Seed = 10, seed
	hm, _, err := host.Train(context.Background(), rows, opts)
	if err != nil {
		t.Fatal(err)
	}
	return hm
}
