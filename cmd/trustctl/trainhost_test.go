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
	// Too short a log is refused.
	if code := run(context.Background(), []string{"train", "--host", "--in", filepath.Join(dir, "nope.log"), "--out", out}, &stdout, &stderr); code == 0 {
		t.Error("missing log accepted")
	}
}
