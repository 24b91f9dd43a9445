package firmwaretest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/sensors"
)

// Model is a deterministic stand-in for a real model: its score of an
// input is the first 8 bytes (little-endian, as int64) of
// SHA-256(weights || input). Any change to weights or input changes it.
type Model struct {
	Weights []byte
	// Skew, when not zero, is added to every score: a model that no longer
	// reproduces its probes, as a miscompiled or non-deterministic kernel would.
	Skew int64
}

// ScoreProbe implements firmware.Prober.
func (m *Model) ScoreProbe(input []byte) (int64, error) {
	h := sha256.New()
	h.Write(m.Weights)
	h.Write(input)
	return int64(binary.LittleEndian.Uint64(h.Sum(nil))) + m.Skew, nil
}

// Loader returns a firmware.Loader that loads every model section as a
// Model with the given skew.
func Loader(skew int64) firmware.Loader {
	return firmware.LoaderFunc(func(t firmware.SectionType, payload []byte) (firmware.Prober, error) {
		if len(payload) == 0 {
			return nil, fmt.Errorf("firmwaretest: empty %s model", t)
		}
		return &Model{Weights: payload, Skew: skew}, nil
	})
}

// Key returns a reproducible ed25519 key derived from name.
func Key(name string) *firmware.PrivateKey {
	seed := sha256.Sum256([]byte("firmwaretest key " + name))
	return &firmware.PrivateKey{Name: name, Key: ed25519.NewKeyFromSeed(seed[:])}
}

// Spec describes a test bundle.
type Spec struct {
	Kind       sensors.Kind
	ModelID    string
	Version    uint64
	WeightSize int // bytes of each fake model payload; 0 means 64
	Probes     int // probes per model; 0 means 2
	Extra      []firmware.Section
}

// Build returns an unsigned bundle with a VAE and a health model, each
// with its probes recorded by Model, plus calibration and metadata.
func Build(s Spec) ([]byte, error) {
	if s.WeightSize == 0 {
		s.WeightSize = 64
	}
	if s.Probes == 0 {
		s.Probes = 2
	}
	b := &firmware.Bundle{Kind: s.Kind, Representation: 1, ModelID: s.ModelID, Version: s.Version}
	var probes []firmware.Probe
	for _, t := range []firmware.SectionType{firmware.SectionVAE, firmware.SectionHealth} {
		w := make([]byte, s.WeightSize)
		for i := range w {
			w[i] = byte(uint64(i)*31 + s.Version*7 + uint64(t))
		}
		b.SetSection(t, w)
		m := &Model{Weights: w}
		for i := 0; i < s.Probes; i++ {
			in := []byte{byte(t), byte(i), byte(s.Version), 0x5a}
			score, _ := m.ScoreProbe(in)
			probes = append(probes, firmware.Probe{Section: t, Input: in, Score: score})
		}
	}
	cal, err := firmware.Calibration{
		TargetFPR:  0.001,
		Thresholds: []firmware.Threshold{{Name: "warn", Value: 1 << 20}, {Name: "error", Value: 3 << 20}},
		Stats:      []firmware.Stat{{Name: "clean_frames", Value: 1200}},
	}.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b.SetSection(firmware.SectionCalibration, cal)
	meta, err := firmware.Metadata{
		DataHash:    sha256.Sum256([]byte(s.ModelID)),
		Seed:        42,
		Created:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		ToolVersion: "test",
	}.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b.SetSection(firmware.SectionMetadata, meta)
	pp, err := firmware.MarshalProbes(probes)
	if err != nil {
		return nil, err
	}
	b.SetSection(firmware.SectionProbes, pp)
	b.Sections = append(b.Sections, s.Extra...)
	return b.MarshalBinary()
}

// BuildSigned builds a bundle and signs it with each key in turn.
func BuildSigned(s Spec, keys ...*firmware.PrivateKey) ([]byte, error) {
	data, err := Build(s)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if data, err = firmware.Sign(data, k); err != nil {
			return nil, err
		}
	}
	return data, nil
}
