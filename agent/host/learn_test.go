package host_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hostsim"
)

var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func TestLearnerResumesTrainsAndReloads(t *testing.T) {
	dir := t.TempDir()
	opts := host.LearnOptions{Dir: dir, Samples: 300, Train: health.TrainOptions{Epochs: 30}}
	l, err := host.OpenLearner(opts)
	if err != nil {
		t.Fatal(err)
	}
	m := &hostsim.Machine{Seed: 1}
	for i := range 120 {
		if _, err := l.Add(m.Sample(t0.Add(time.Duration(i) * time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	// A restart mid-phase resumes where it was.
	l, err = host.OpenLearner(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if p := l.Progress(); p.Have != 120 || p.Want != 300 || p.Done() || l.Model() != nil {
		t.Fatalf("after restart: %+v, model %v", p, l.Model())
	}
	var p host.Progress
	for i := 120; i < 300; i++ {
		p, _ = l.Add(m.Sample(t0.Add(time.Duration(i) * time.Second)))
	}
	if !p.Done() {
		t.Fatalf("progress %+v", p)
	}
	// Across the restart no sample was lost or kept twice: the log holds
	// each second once, in order.
	_, times, err := host.ReadSampleLog(filepath.Join(dir, "samples.log"))
	if err != nil {
		t.Fatal(err)
	}
	if len(times) != 300 {
		t.Fatalf("log holds %d samples, want 300", len(times))
	}
	for i, ts := range times {
		if !ts.Equal(t0.Add(time.Duration(i) * time.Second)) {
			t.Fatalf("sample %d is from %v, want %v", i, ts, t0.Add(time.Duration(i)*time.Second))
		}
	}
	model, rep, err := l.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.TrainRows+rep.ValRows+rep.CalibRows != 300 || model.Warn <= 0 || model.Error < model.Warn || l.Model() != model {
		t.Fatalf("report %+v, warn %v error %v", rep, model.Warn, model.Error)
	}
	// A held-out minute is too short to fit the tail of its alarm
	// episodes: the floors stand in for it, doubled in scales because
	// five minutes of samples are shorter than the temperature's
	// baseline (host.TempBaseSpan).
	if model.Warn < 4 || model.Error < 16 {
		t.Errorf("thresholds from a held-out minute: warn %v error %v, want at least the floors 4 and 16", model.Warn, model.Error)
	}
	// A restart loads the stored model.
	l2, err := host.OpenLearner(opts)
	if err != nil {
		t.Fatal(err)
	}
	if l2.Model() == nil || l2.Model().Warn != model.Warn {
		t.Fatalf("stored model not loaded: %v", l2.Model())
	}
	// Relearning forgets model and samples.
	if err := l2.Reset(); err != nil {
		t.Fatal(err)
	}
	l2.Close()
	if _, err := os.Stat(filepath.Join(dir, "model.bin")); !os.IsNotExist(err) {
		t.Errorf("model kept after reset: %v", err)
	}
	l3, _ := host.OpenLearner(opts)
	defer l3.Close()
	if l3.Model() != nil || l3.Progress().Have != 0 {
		t.Errorf("after reset: model %v, %+v", l3.Model(), l3.Progress())
	}
}

func TestLearnerRefusesAModelOfAnotherFeatureSet(t *testing.T) {
	dir := t.TempDir()
	rows := make([][]float64, 100)
	for i := range rows {
		rows[i] = []float64{float64(i % 5), float64(i % 3)}
	}
	m, _, err := health.Train(rows, []string{"a", "b"}, health.TrainOptions{Epochs: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.MarshalBinary()
	os.WriteFile(filepath.Join(dir, "model.bin"), b, 0o600)
	if _, err := host.OpenLearner(host.LearnOptions{Dir: dir}); err == nil {
		t.Fatal("a model of other features was loaded")
	}
}

func TestLearnerDropsAModelTrainedAcrossAReset(t *testing.T) {
	dir := t.TempDir()
	l, err := host.OpenLearner(host.LearnOptions{Dir: dir, Samples: 200, Train: health.TrainOptions{Epochs: 100, Patience: 100}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m := &hostsim.Machine{Seed: 1}
	for i := range 200 {
		l.Add(m.Sample(t0.Add(time.Duration(i) * time.Second)))
	}
	errc := make(chan error, 1)
	go func() {
		_, _, err := l.Train(context.Background())
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond) // 100 epochs take far longer
	if err := l.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, host.ErrRelearned) {
		t.Fatalf("training across a reset: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.bin")); !os.IsNotExist(err) || l.Model() != nil {
		t.Errorf("model stored after reset: %v", err)
	}
}

// oldNames are the host features of the build before the clock step and
// the available memory rate: a robot updated from it holds a model and a
// sample log of these.
var oldNames = []string{
	"cpu_temp_c", "throttled", "freq_ratio", "cpu_busy_max", "cpu_busy_mean", "load1_per_core",
	"mem_used_frac", "rss_mb", "gc_pause_p99_ms", "bus_errors_per_s", "state_free_frac",
	"under_voltage", "cpu_temp_c_per_s", "rss_mb_per_s", "state_free_pct_per_min",
}

// TestLearnerAfterAFeatureChange: a stored model of the previous feature
// set is refused with the relearn message, and its sample log is not
// continued (the relearn-host command then starts learning afresh).
func TestLearnerAfterAFeatureChange(t *testing.T) {
	if len(oldNames) == len(host.Names()) {
		t.Fatal("the previous feature set has as many features as this build's")
	}
	dir := t.TempDir()
	rows := make([][]float64, 200)
	for i := range rows {
		rows[i] = make([]float64, len(oldNames))
		for j := range rows[i] {
			rows[i][j] = float64((i + j) % 7)
		}
	}
	m, _, err := health.Train(rows, oldNames, health.TrainOptions{Epochs: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.MarshalBinary()
	if err := os.WriteFile(filepath.Join(dir, "model.bin"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	old, err := host.OpenSampleLog(filepath.Join(dir, "samples.log"), len(oldNames), 300)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if err := old.Append(t0.Add(time.Duration(i)*time.Second), r); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	opts := host.LearnOptions{Dir: dir, Samples: 300}
	if _, err := host.OpenLearner(opts); err == nil || !strings.Contains(err.Error(), "relearn the host model") {
		t.Fatalf("a model of the previous features: %v, want the relearn message", err)
	}
	os.Remove(filepath.Join(dir, "model.bin")) // what relearn-host does
	l, err := host.OpenLearner(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if p := l.Progress(); p.Have != 0 {
		t.Errorf("samples of the previous features continued: %+v", p)
	}
}
