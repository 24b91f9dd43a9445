package crossarch_test

import (
	"bytes"
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
)

var update = flag.Bool("update", false, "retrain and rewrite testdata/camera.bundle (do it on amd64)")

const golden = "testdata/camera.bundle"

var key = firmwaretest.Key("crossarch")

// frames are small synthetic camera frames: a gradient with noise.
func frames(n int, seed uint64) []sensors.Frame {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]sensors.Frame, n)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		im := &sensors.Image{Width: 16, Height: 12, Stride: 16, Format: sensors.Gray8, Pix: make([]byte, 16*12)}
		for p := range im.Pix {
			im.Pix[p] = byte(p%16*8 + rng.IntN(24))
		}
		im.Sensor, im.Seq = "cam0", uint64(i)
		im.Stamp = t0.Add(time.Duration(i) * 100 * time.Millisecond)
		im.Received = im.Stamp
		out[i] = im
	}
	return out
}

// build trains a tiny model and records probes with it.
func build(t *testing.T) []byte {
	m, err := likelihood.Train(context.Background(), frames(60, 1), likelihood.TrainOptions{
		Seed: 3, Hidden: 4, Latent: 2, DecoderHidden: 4, Epochs: 4, ThumbW: 4, ThumbH: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	vae, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var probes []firmware.Probe
	for _, f := range frames(8, 99) {
		in, err := m.EncodeProbe(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.ScoreProbe(in)
		if err != nil {
			t.Fatal(err)
		}
		probes = append(probes, firmware.Probe{Section: firmware.SectionVAE, Input: in, Score: s})
	}
	pp, err := firmware.MarshalProbes(probes)
	if err != nil {
		t.Fatal(err)
	}
	b := &firmware.Bundle{Kind: sensors.KindCamera, ModelID: "cam-vae-crossarch", Version: 1,
		Sections: []firmware.Section{{Type: firmware.SectionVAE, Data: vae}, {Type: firmware.SectionProbes, Data: pp}}}
	data, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	data, err = firmware.Sign(data, key)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func loader() firmware.Loader {
	return firmware.LoaderFunc(func(t firmware.SectionType, p []byte) (firmware.Prober, error) {
		return likelihood.UnmarshalModel(p)
	})
}

// TestRecordedScoresReproduce installs the amd64-recorded bundle through a
// Store on this architecture; Install's self-test requires every probe's
// score to match bit for bit.
func TestRecordedScoresReproduce(t *testing.T) {
	if *update {
		if runtime.GOARCH != "amd64" {
			t.Fatal("record the golden bundle on amd64")
		}
		if err := os.WriteFile(golden, build(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := firmware.OpenDirFS(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	store, err := firmware.NewStore(fsys, firmware.Options{
		Trust: firmware.NewTrustStore(key.Public()), Kind: sensors.KindCamera, Loader: loader(),
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := store.Install(context.Background(), data)
	if err != nil {
		t.Fatalf("%s/%s: %v\n(after a deliberate change of the likelihood model format, re-record on amd64: go test ./firmware/crossarch -update)", runtime.GOOS, runtime.GOARCH, err)
	}
	probes, _ := a.Bundle.Probes()
	m := a.Models[firmware.SectionVAE].(*likelihood.Model)
	for i, p := range probes {
		got, err := m.ScoreProbe(p.Input)
		if err != nil || got != p.Score {
			t.Fatalf("probe %d: %d, %v; recorded %d", i, got, err, p.Score)
		}
	}
	t.Logf("%s: %d probes of a %d-byte bundle reproduced bit for bit", runtime.GOARCH, len(probes), len(data))
}

// TestProbeEncodingReproduces: encoding the same frames on this
// architecture gives the recorded probe inputs (the model's integer input
// path is deterministic too, not only its scoring).
func TestProbeEncodingReproduces(t *testing.T) {
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	b, err := firmware.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	vae, _ := b.Section(firmware.SectionVAE)
	m, err := likelihood.UnmarshalModel(vae)
	if err != nil {
		t.Fatal(err)
	}
	probes, _ := b.Probes()
	diff := 0
	for i, f := range frames(8, 99) {
		in, err := m.EncodeProbe(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(in, probes[i].Input) {
			diff++
		}
	}
	if diff > 0 {
		t.Errorf("%s: %d of %d probe inputs encode differently from amd64 (float standardisation before quantisation)", runtime.GOARCH, diff, len(probes))
	}
}
