package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hostsim"
)

func TestTrainHostFromRecordedLog(t *testing.T) {
	dir := t.TempDir()
	// A robot's learning state, as trustd leaves it.
	l, err := host.OpenLearner(host.LearnOptions{Dir: dir, Samples: 400})
	if err != nil {
		t.Fatal(err)
	}
	m := &hostsim.Machine{Seed: 3}
	t0 := time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)
	for i := range 400 {
		l.Add(m.Sample(t0.Add(time.Duration(i) * time.Second)))
	}
	l.Close()
	out := filepath.Join(dir, "host.model")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"train", "--host", "--in", filepath.Join(dir, "samples.log"), "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "400 samples") {
		t.Errorf("stdout %q", stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	model, err := health.UnmarshalModel(b)
	if err != nil || model.Fits(host.Names()) != nil || model.Warn < 1 {
		t.Fatalf("model %v, err %v", model, err)
	}
	// A log recorded with another feature set (an older build) is refused.
	old, err := host.OpenSampleLog(filepath.Join(dir, "old.log"), len(host.Names())-2, 200)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		old.Append(t0.Add(time.Duration(i)*time.Second), make([]float64, len(host.Names())-2))
	}
	old.Close()
	stderr.Reset()
	if code := run(context.Background(), []string{"train", "--host", "--in", filepath.Join(dir, "old.log"), "--out", out}, &stdout, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), "host features") {
		t.Errorf("a log of another feature set: exit %d, %q", code, stderr.String())
	}
	// Too short a log is refused.
	if code := run(context.Background(), []string{"train", "--host", "--in", filepath.Join(dir, "nope.log"), "--out", out}, &stdout, &stderr); code == 0 {
		t.Error("missing log accepted")
	}
}
