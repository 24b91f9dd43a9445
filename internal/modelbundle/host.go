package modelbundle

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/firmware"
)

// HostRepresentation is the header representation id of host bundles: the
// host feature vector of package agent/host, in host.Names() order (the
// names are recorded in the model and checked when it loads).
const HostRepresentation uint16 = 1

// Calibration statistics of a host bundle, beside health_warn and
// health_error.
const (
	StatHostSamples      = "samples"        // healthy samples trained on
	StatHostPeriod       = "period_s"       // sampling period they were taken at, s
	StatHostAlarmsPerDay = "alarms_per_day" // WARN target the thresholds were calibrated for
)

// HostSpec is what BuildHost packs.
type HostSpec struct {
	Model   *health.Model // required; must fit host.Names()
	ModelID string        // model lineage; default "host"
	Version uint64        // >= 1; default 1
	// Probes are host feature vectors (host.Names() order) recorded as
	// probes; at least one.
	Probes [][]float64
	// Samples, Period and AlarmsPerDay describe the training, for the
	// calibration statistics.
	Samples      int
	Period       time.Duration
	AlarmsPerDay float64
	DataHash     [sha256.Size]byte // SHA-256 of the sample log trained on
	Seed         uint64
	Created      time.Time
	ToolVersion  string
}

// BuildHost encodes an unsigned host bundle (kind firmware.KindHost): the
// host model as a health section, its thresholds and training statistics
// as calibration, the provenance as metadata, and the probes.
func BuildHost(s HostSpec) ([]byte, error) {
	if s.Model == nil {
		return nil, fmt.Errorf("%w: no host model", ErrBundle)
	}
	if err := s.Model.Fits(host.Names()); err != nil {
		return nil, fmt.Errorf("%w: host model: %w", ErrBundle, err)
	}
	if s.ModelID == "" {
		s.ModelID = "host"
	}
	if s.Version == 0 {
		s.Version = 1
	}
	if len(s.Probes) == 0 {
		return nil, fmt.Errorf("%w: no host probes", ErrBundle)
	}
	hb, err := s.Model.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("modelbundle: encode host model: %w", err)
	}
	b := &firmware.Bundle{Kind: firmware.KindHost, Representation: HostRepresentation, ModelID: s.ModelID, Version: s.Version}
	b.SetSection(firmware.SectionHealth, hb)
	hp := healthProber{ev: s.Model.NewEvaluator()}
	probes := make([]firmware.Probe, 0, len(s.Probes))
	for i, x := range s.Probes {
		in := encodeVector(x)
		sc, err := hp.ScoreProbe(in)
		if err != nil {
			return nil, fmt.Errorf("modelbundle: host probe %d: %w", i, err)
		}
		probes = append(probes, firmware.Probe{Section: firmware.SectionHealth, Input: in, Score: sc})
	}
	scale := float64(s.Model.D()) * (1 << 20)
	cal := firmware.Calibration{
		Thresholds: []firmware.Threshold{
			{Name: ThresholdWarn, Value: toInt64(s.Model.Warn * scale)},
			{Name: ThresholdError, Value: toInt64(s.Model.Error * scale)},
		},
		Stats: []firmware.Stat{
			{Name: "health_warn", Value: s.Model.Warn}, {Name: "health_error", Value: s.Model.Error},
			{Name: StatHostSamples, Value: float64(s.Samples)},
			{Name: StatHostPeriod, Value: s.Period.Seconds()},
			{Name: StatHostAlarmsPerDay, Value: s.AlarmsPerDay},
		},
	}
	return finish(b, cal, firmware.Metadata{DataHash: s.DataHash, Seed: s.Seed, Created: s.Created, ToolVersion: s.ToolVersion}, probes)
}

// HostLoader loads the health section of a host bundle for
// firmware.SelfTest and the robot's host Store. A model over other
// features than this build's host vector is refused: its scores would be
// of other quantities. HostModel unwraps what it loads.
func HostLoader() firmware.Loader {
	return firmware.LoaderFunc(func(t firmware.SectionType, p []byte) (firmware.Prober, error) {
		if t != firmware.SectionHealth {
			return nil, fmt.Errorf("%w: a host bundle holds no %v model", ErrBundle, t)
		}
		m, err := health.UnmarshalModel(p)
		if err != nil {
			return nil, err
		}
		if err := m.Fits(host.Names()); err != nil {
			return nil, fmt.Errorf("%w: host model: %w (train it again from this build's sample log, or relearn the host model)", ErrBundle, err)
		}
		return healthProber{ev: m.NewEvaluator()}, nil
	})
}

// Host is an opened host bundle.
type Host struct {
	Bundle      *firmware.Bundle
	Model       *health.Model
	Calibration firmware.Calibration
	Metadata    firmware.Metadata
	HasMetadata bool
	Size        int // bytes of the file
}

// Stat returns the calibration statistic named name.
func (h *Host) Stat(name string) (float64, bool) {
	for _, s := range h.Calibration.Stats {
		if s.Name == name {
			return s.Value, true
		}
	}
	return 0, false
}

// OpenHost parses a host bundle, checks its content hash and kind, loads
// the host model (refusing another feature set) and runs its probes. It
// does not check signatures (firmware.Verify does, on the robot).
func OpenHost(ctx context.Context, data []byte) (*Host, error) {
	b, err := firmware.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	if b.Kind != firmware.KindHost {
		return nil, fmt.Errorf("%w: %w", ErrKind, &firmware.SensorError{Want: firmware.KindHost, Got: b.Kind})
	}
	ms, err := firmware.SelfTest(ctx, b, HostLoader())
	if err != nil {
		return nil, fmt.Errorf("%w: self-test: %w", ErrBundle, err)
	}
	h := &Host{Bundle: b, Size: len(data)}
	if h.Model, _ = HealthModel(ms[firmware.SectionHealth]); h.Model == nil {
		return nil, fmt.Errorf("%w: no host model section", ErrBundle)
	}
	if c, ok, err := b.Calibration(); err != nil {
		return nil, fmt.Errorf("%w: calibration: %w", ErrBundle, err)
	} else if ok {
		h.Calibration = c
	}
	if m, ok, err := b.Metadata(); err != nil {
		return nil, fmt.Errorf("%w: metadata: %w", ErrBundle, err)
	} else if ok {
		h.Metadata, h.HasMetadata = m, true
	}
	return h, nil
}

// HostModelOf returns the host model of an installed host bundle (loaded
// by HostLoader).
func HostModelOf(a *firmware.Active) (*health.Model, error) {
	if a == nil || a.Bundle.Kind != firmware.KindHost {
		return nil, fmt.Errorf("%w: not a host bundle", ErrBundle)
	}
	m, ok := HealthModel(a.Models[firmware.SectionHealth])
	if !ok {
		return nil, fmt.Errorf("%w: host bundle %s has no host model", ErrBundle, a.Bundle.ModelID)
	}
	return m, nil
}
