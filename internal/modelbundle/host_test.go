package modelbundle

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hostsim"
	"github.com/sensortrust/trustagent/firmware"
)

// hostRows are healthy host vectors of a simulated robot computer.
func hostRows(n int) [][]float64 {
	m := &hostsim.Machine{Seed: 5}
	t0 := time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = m.Sample(t0.Add(time.Duration(i) * time.Second)).Features(nil)
	}
	return rows
}

func hostModel(t testing.TB, rows [][]float64) *health.Model {
	t.Helper()
	opts := host.LearnOptions{ID: "host-test"}
	opts.Train.Epochs, opts.Train.Seed = 3, 1
	m, _, err := host.Train(context.Background(), rows, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHostBundleBuildOpen(t *testing.T) {
	rows := hostRows(300)
	m := hostModel(t, rows)
	created := time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
	data, err := BuildHost(HostSpec{Model: m, ModelID: "host-fleet", Version: 4, Probes: rows[:3], Samples: len(rows),
		Period: time.Second, AlarmsPerDay: 1, Created: created, ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := OpenHost(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if h.Bundle.Kind != firmware.KindHost || h.Bundle.ModelID != "host-fleet" || h.Bundle.Version != 4 || h.Bundle.Representation != HostRepresentation {
		t.Fatalf("header %v %q v%d repr %d", h.Bundle.Kind, h.Bundle.ModelID, h.Bundle.Version, h.Bundle.Representation)
	}
	want, _ := m.MarshalBinary()
	got, _ := h.Model.MarshalBinary()
	if !bytes.Equal(got, want) {
		t.Fatal("host model changed on the way through the bundle")
	}
	if n, _ := h.Stat(StatHostSamples); n != 300 || !h.Metadata.Created.Equal(created) {
		t.Errorf("samples %v, created %v", n, h.Metadata.Created)
	}
	if _, ok := h.Calibration.Threshold(ThresholdWarn); !ok {
		t.Error("no WARN threshold recorded")
	}
	ps, _ := h.Bundle.Probes()
	if len(ps) != 3 {
		t.Errorf("%d probes, want 3", len(ps))
	}
	// A probe whose recorded score is off by one is refused: the probes are
	// really run.
	b, _ := firmware.Parse(data)
	ps[0].Score++
	pb, _ := firmware.MarshalProbes(ps)
	b.SetSection(firmware.SectionProbes, pb)
	skewed, _ := b.MarshalBinary()
	var st *firmware.SelfTestError
	if _, err := OpenHost(context.Background(), skewed); !errors.As(err, &st) {
		t.Fatalf("skewed probe: %v", err)
	}
}

// TestHostBundleRefusals: a sensor's bundle is no host bundle, and a host
// model over another feature set is refused with the relearn advice.
func TestHostBundleRefusals(t *testing.T) {
	vae, hm, frames, hrows := tiny(t)
	sensor, err := Build(Spec{VAE: vae, Health: hm, ProbeFrames: frames[:1], HealthProbes: hrows[:1]})
	if err != nil {
		t.Fatal(err)
	}
	var se *firmware.SensorError
	if _, err := OpenHost(context.Background(), sensor); !errors.Is(err, ErrKind) || !errors.As(err, &se) {
		t.Fatalf("sensor bundle opened as host: %v", err)
	}

	rows := hostRows(200)
	names := append([]string(nil), host.Names()...)
	names[len(names)-1] = "a_feature_of_another_build"
	other, _, err := health.Train(rows, names, health.TrainOptions{Epochs: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := BuildHost(HostSpec{Model: other, Probes: rows[:1]}); !errors.Is(err, ErrBundle) {
		t.Fatalf("BuildHost of another feature set: %v", err)
	}
	ob, _ := other.MarshalBinary()
	b := &firmware.Bundle{Kind: firmware.KindHost, Representation: HostRepresentation, ModelID: "host-old", Version: 1}
	b.SetSection(firmware.SectionHealth, ob)
	data, _ := b.MarshalBinary()
	if _, err := OpenHost(context.Background(), data); err == nil || !strings.Contains(err.Error(), "relearn the host model") {
		t.Fatalf("host model of another feature set: %v", err)
	}
	if _, err := HostLoader().Load(firmware.SectionVAE, []byte{1}); err == nil {
		t.Error("host loader loaded a VAE section")
	}
}

// FuzzOpenHost: arbitrary bytes never panic OpenHost, and what opens is a
// host model over this build's features.
func FuzzOpenHost(f *testing.F) {
	rows := hostRows(200)
	b, err := BuildHost(HostSpec{Model: hostModel(f, rows), Probes: rows[:1]})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte("TABN"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := OpenHost(context.Background(), data)
		if err == nil && (h.Model == nil || h.Model.Fits(host.Names()) != nil || h.Bundle.Kind != firmware.KindHost) {
			t.Fatal("opened something that is not a host model of this build")
		}
	})
}
