package modelbundle

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
)

// Representation is the bundle header's representation id for models of
// package likelihood (its Repr is saved inside the VAE section).
const Representation uint16 = 1

// Calibration names in the calibration section.
const (
	ThresholdVAE           = "vae"             // fixed score threshold, Q12 nats
	ThresholdVAEWarn       = "vae_warn"        // fixed score WARN threshold, Q12 nats (optional)
	ThresholdVAERise       = "vae_rise"        // frame score rise alarm level, Q12 (optional; see decision.Rise)
	ThresholdVAERiseFrames = "vae_rise_frames" // frames in a row a rise must hold, a count (optional; decision.RiseFrames without it)
	ThresholdWarn          = "health_warn"     // health score WARN threshold, ·2²⁰
	ThresholdError         = "health_error"    // health score ERROR threshold, ·2²⁰
)

// ErrKind is wrapped when a bundle holds a model for another sensor kind.
var ErrKind = errors.New("modelbundle: model is for another sensor")

// ErrBundle is wrapped for bundles that cannot be used (bad structure,
// missing or corrupt sections, failed self-test).
var ErrBundle = errors.New("modelbundle: unusable model bundle")

// Spec is what Build packs.
type Spec struct {
	VAE    *likelihood.Model // required
	Health *health.Model     // optional
	// ModelID names the model lineage; default "<kind>-default".
	ModelID string
	// Version of the model, >= 1 (default 1).
	Version uint64
	// ProbeFrames are scored through the VAE and recorded as probes (at
	// least one is needed).
	ProbeFrames []sensors.Frame
	// HealthProbes are feature vectors recorded as health probes (at least
	// one when Health is set).
	HealthProbes [][]float64
	// Created is recorded in the metadata and in the VAE section instead of
	// the training clock, so that the same training gives the same bytes;
	// zero keeps the VAE's own record.
	Created     time.Time
	ToolVersion string
	// ScoreWarn is the frame-score WARN threshold (agent.Calibrate sets
	// one); 0: none, only the VAE's threshold counts.
	ScoreWarn float64
	// ScoreRise is the frame-score rise alarm level (agent.Calibrate sets
	// one); 0: no rise alarm.
	ScoreRise float64
	// RiseFrames is how many frames in a row the rise must hold, recorded
	// when positive (0: decision.RiseFrames, as in bundles made before it
	// was recorded). ScoreRise is calibrated for it.
	RiseFrames int
	// Coverage of the training data, recorded when Frames > 0.
	Coverage Coverage
}

// Build encodes an unsigned bundle.
func Build(s Spec) ([]byte, error) {
	if s.VAE == nil {
		return nil, fmt.Errorf("%w: no VAE", ErrBundle)
	}
	kind := s.VAE.Kind()
	if s.ModelID == "" {
		s.ModelID = kind.String() + "-default"
	}
	if s.Version == 0 {
		s.Version = 1
	}
	vae, err := s.VAE.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("modelbundle: encode vae: %w", err)
	}
	meta := s.VAE.Meta()
	if !s.Created.IsZero() {
		if vae, err = stampVAE(vae, s.Created); err != nil {
			return nil, err
		}
		meta.Created = s.Created
	}
	b := &firmware.Bundle{Kind: kind, Representation: Representation, ModelID: s.ModelID, Version: s.Version}
	b.SetSection(firmware.SectionVAE, vae)

	cal := s.VAE.Calibration()
	fc := firmware.Calibration{
		TargetFPR:  cal.TargetFPR,
		Thresholds: []firmware.Threshold{{Name: ThresholdVAE, Value: toInt64(cal.Threshold * 4096)}},
		Stats: []firmware.Stat{
			{Name: "clean_frames", Value: float64(cal.Frames)},
			{Name: "score_mean", Value: cal.Mean}, {Name: "score_std", Value: cal.Std},
			{Name: "score_p50", Value: cal.P50}, {Name: "score_p90", Value: cal.P90},
			{Name: "score_p99", Value: cal.P99}, {Name: "score_max", Value: cal.Max},
			{Name: "vae_threshold", Value: cal.Threshold},
		},
	}
	if s.Coverage.Frames > 0 {
		fc.Stats = append(fc.Stats, firmware.Stat{Name: statDataFrames, Value: float64(s.Coverage.Frames)},
			firmware.Stat{Name: statDataScenes, Value: float64(s.Coverage.Scenes)},
			firmware.Stat{Name: statDataSeconds, Value: s.Coverage.Seconds})
	}
	if s.ScoreWarn > 0 {
		fc.Thresholds = append(fc.Thresholds, firmware.Threshold{Name: ThresholdVAEWarn, Value: toInt64(s.ScoreWarn * 4096)})
		fc.Stats = append(fc.Stats, firmware.Stat{Name: "vae_warn", Value: s.ScoreWarn})
	}
	if s.ScoreRise > 0 {
		fc.Thresholds = append(fc.Thresholds, firmware.Threshold{Name: ThresholdVAERise, Value: toInt64(s.ScoreRise * 4096)})
		fc.Stats = append(fc.Stats, firmware.Stat{Name: "vae_rise", Value: s.ScoreRise})
		if s.RiseFrames > 0 {
			fc.Thresholds = append(fc.Thresholds, firmware.Threshold{Name: ThresholdVAERiseFrames, Value: int64(s.RiseFrames)})
		}
	}
	var probes []firmware.Probe
	for i, f := range s.ProbeFrames {
		in, err := s.VAE.EncodeProbe(f)
		if err != nil {
			return nil, fmt.Errorf("modelbundle: probe frame %d: %w", i, err)
		}
		sc, err := s.VAE.ScoreProbe(in)
		if err != nil {
			return nil, fmt.Errorf("modelbundle: probe frame %d: %w", i, err)
		}
		probes = append(probes, firmware.Probe{Section: firmware.SectionVAE, Input: in, Score: sc})
	}
	if len(probes) == 0 {
		return nil, fmt.Errorf("%w: no probe frames", ErrBundle)
	}
	if s.Health != nil {
		hb, err := s.Health.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("modelbundle: encode health: %w", err)
		}
		b.SetSection(firmware.SectionHealth, hb)
		hp := healthProber{ev: s.Health.NewEvaluator()}
		n := 0
		for _, x := range s.HealthProbes {
			in := encodeVector(x)
			sc, err := hp.ScoreProbe(in)
			if err != nil {
				return nil, fmt.Errorf("modelbundle: health probe: %w", err)
			}
			probes = append(probes, firmware.Probe{Section: firmware.SectionHealth, Input: in, Score: sc})
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%w: no health probes", ErrBundle)
		}
		scale := float64(s.Health.D()) * (1 << 20)
		fc.Thresholds = append(fc.Thresholds,
			firmware.Threshold{Name: ThresholdWarn, Value: toInt64(s.Health.Warn * scale)},
			firmware.Threshold{Name: ThresholdError, Value: toInt64(s.Health.Error * scale)})
		fc.Stats = append(fc.Stats, firmware.Stat{Name: "health_warn", Value: s.Health.Warn}, firmware.Stat{Name: "health_error", Value: s.Health.Error})
	}
	return finish(b, fc, firmware.Metadata{DataHash: meta.DataHash, Seed: meta.Seed, Created: meta.Created, ToolVersion: s.ToolVersion}, probes)
}

// finish sets b's calibration, metadata and probe sections and encodes it:
// the last steps of every bundle, sensor or host.
func finish(b *firmware.Bundle, cal firmware.Calibration, meta firmware.Metadata, probes []firmware.Probe) ([]byte, error) {
	cb, err := cal.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("modelbundle: calibration: %w", err)
	}
	b.SetSection(firmware.SectionCalibration, cb)
	mb, err := meta.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("modelbundle: metadata: %w", err)
	}
	b.SetSection(firmware.SectionMetadata, mb)
	pb, err := firmware.MarshalProbes(probes)
	if err != nil {
		return nil, fmt.Errorf("modelbundle: probes: %w", err)
	}
	b.SetSection(firmware.SectionProbes, pb)
	return b.MarshalBinary()
}

// stampVAE rewrites the training record's creation time (Unix seconds) and
// duration (0) at the end of an encoded likelihood model, recomputes its
// CRC-32 and checks that the model still decodes to the same thing.
// Layout (likelihood codec): ... i64 created, i64 duration, u32 crc32.
func stampVAE(b []byte, created time.Time) ([]byte, error) {
	if len(b) < 20 {
		return nil, fmt.Errorf("%w: vae section too short", ErrBundle)
	}
	out := append([]byte(nil), b...)
	n := len(out)
	binary.LittleEndian.PutUint64(out[n-20:], uint64(created.Unix()))
	binary.LittleEndian.PutUint64(out[n-12:], 0)
	binary.LittleEndian.PutUint32(out[n-4:], crc32.ChecksumIEEE(out[:n-4]))
	m, err := likelihood.UnmarshalModel(out)
	if err != nil {
		return nil, fmt.Errorf("modelbundle: restamp vae: %w", err)
	}
	if !m.Meta().Created.Equal(created.Truncate(time.Second)) || m.Meta().Duration != 0 {
		return nil, fmt.Errorf("%w: the vae format changed; cannot restamp its creation time", ErrBundle)
	}
	return out, nil
}

// toInt64 rounds v, saturating at the int64 range.
func toInt64(v float64) int64 {
	switch {
	case v >= math.MaxInt64:
		return math.MaxInt64
	case v <= math.MinInt64:
		return math.MinInt64
	}
	return int64(math.Round(v))
}

func encodeVector(x []float64) []byte {
	b := make([]byte, 0, 8*len(x))
	for _, v := range x {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func decodeVector(b []byte) ([]float64, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("%w: health probe of %d bytes", ErrBundle, len(b))
	}
	x := make([]float64, len(b)/8)
	for i := range x {
		x[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return x, nil
}

// healthProber scores health probes (see the package doc).
type healthProber struct{ ev *health.Evaluator }

func (h healthProber) ScoreProbe(input []byte) (int64, error) {
	x, err := decodeVector(input)
	if err != nil {
		return 0, err
	}
	s, err := h.ev.Score(x)
	if err != nil {
		return 0, err
	}
	return int64(math.Round(s * float64(h.ev.Model().D()) * (1 << 20))), nil
}

// Loader loads the VAE and health sections for firmware.SelfTest and the
// firmware Store: the VAE as *likelihood.Model, the health model as a
// prober whose model HealthModel returns.
func Loader() firmware.Loader {
	return firmware.LoaderFunc(func(t firmware.SectionType, p []byte) (firmware.Prober, error) {
		switch t {
		case firmware.SectionVAE:
			return likelihood.UnmarshalModel(p)
		case firmware.SectionHealth:
			m, err := health.UnmarshalModel(p)
			if err != nil {
				return nil, err
			}
			return healthProber{ev: m.NewEvaluator()}, nil
		}
		return nil, fmt.Errorf("%w: unknown model section %v", ErrBundle, t)
	})
}

// HealthModel returns the health model behind a prober made by Loader.
func HealthModel(p firmware.Prober) (*health.Model, bool) {
	hp, ok := p.(healthProber)
	if !ok {
		return nil, false
	}
	return hp.ev.Model(), true
}

// Models is an opened bundle.
type Models struct {
	Bundle      *firmware.Bundle
	VAE         *likelihood.Model
	Health      *health.Model // nil when the bundle has none
	Calibration firmware.Calibration
	Metadata    firmware.Metadata
	HasMetadata bool
	// ScoreWarn is the frame-score WARN threshold; 0: none.
	ScoreWarn float64
	// ScoreRise is the frame-score rise alarm level; 0: none.
	ScoreRise float64
	// RiseFrames is how many frames in a row the rise must hold; 0: the
	// bundle does not say (decision.RiseFrames).
	RiseFrames int
	// Coverage of the training data; zero when the bundle records none
	// (bundles made before it was recorded).
	Coverage Coverage
	Size     int // bytes of the file
}

// ScoreWarn is the frame-score WARN threshold a bundle's calibration
// section records, 0 when it records none.
func ScoreWarn(c firmware.Calibration) float64 {
	v, ok := c.Threshold(ThresholdVAEWarn)
	if !ok || v <= 0 {
		return 0
	}
	return float64(v) / 4096
}

// ScoreRise is the frame-score rise alarm level a bundle's calibration
// section records, 0 when it records none.
func ScoreRise(c firmware.Calibration) float64 {
	v, ok := c.Threshold(ThresholdVAERise)
	if !ok || v <= 0 {
		return 0
	}
	return float64(v) / 4096
}

// RiseFrames is how many frames in a row the rise must hold, as a bundle's
// calibration section records it; 0 when it records none. A count that
// does not fit an int is returned as -1, which no rise accepts.
func RiseFrames(c firmware.Calibration) int {
	v, ok := c.Threshold(ThresholdVAERiseFrames)
	switch {
	case !ok:
		return 0
	case v < 0 || v > math.MaxInt32:
		return -1
	}
	return int(v)
}

// Open parses a bundle, checks its content hash and sensor kind (want
// KindUnknown accepts any), loads its models and runs its probes. It does
// not check signatures (firmware.Verify does, on the robot).
func Open(ctx context.Context, data []byte, want sensors.Kind) (*Models, error) {
	b, err := firmware.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	if want != sensors.KindUnknown && b.Kind != want {
		return nil, fmt.Errorf("%w: bundle is for %v, not %v", ErrKind, b.Kind, want)
	}
	if _, ok := b.Section(firmware.SectionVAE); !ok {
		return nil, fmt.Errorf("%w: no vae section", ErrBundle)
	}
	ms, err := firmware.SelfTest(ctx, b, Loader())
	if err != nil {
		return nil, fmt.Errorf("%w: self-test: %w", ErrBundle, err)
	}
	out := &Models{Bundle: b, Size: len(data)}
	out.VAE, _ = ms[firmware.SectionVAE].(*likelihood.Model)
	if out.VAE == nil {
		return nil, fmt.Errorf("%w: vae section did not load", ErrBundle)
	}
	if out.VAE.Kind() != b.Kind {
		return nil, fmt.Errorf("%w: vae is for %v but the bundle says %v", ErrBundle, out.VAE.Kind(), b.Kind)
	}
	if p, ok := ms[firmware.SectionHealth]; ok {
		out.Health, _ = HealthModel(p)
	}
	if c, ok, err := b.Calibration(); err != nil {
		return nil, fmt.Errorf("%w: calibration: %w", ErrBundle, err)
	} else if ok {
		out.Calibration = c
		out.ScoreWarn = ScoreWarn(c)
		out.ScoreRise = ScoreRise(c)
		out.RiseFrames = RiseFrames(c)
		out.Coverage = CoverageOf(c)
	}
	if m, ok, err := b.Metadata(); err != nil {
		return nil, fmt.Errorf("%w: metadata: %w", ErrBundle, err)
	} else if ok {
		out.Metadata, out.HasMetadata = m, true
	}
	return out, nil
}

// Coverage is how much clean data a model was trained on: a model that
// has seen one place for one minute judges the next street by the
// thresholds of that minute.
type Coverage struct {
	Frames  int     `json:"frames"`  // clean frames
	Scenes  int     `json:"scenes"`  // separate recordings (turned copies of one count once)
	Seconds float64 `json:"seconds"` // stream time they span
}

// Coverage limits below which Warnings warns.
const (
	// MinCoverageSeconds is the clean time the alarm calibration needs to
	// see more than ten separate clean episodes.
	MinCoverageSeconds = 600
	// MinCoverageScenes: one scene teaches one place.
	MinCoverageScenes = 2
)

// Calibration statistics that record the coverage.
const (
	statDataFrames  = "data_frames"
	statDataScenes  = "data_scenes"
	statDataSeconds = "data_seconds"
)

// Coverage flags: what a sensor's published state says of a model whose
// data was too little (the model's "coverage" on the wire).
const (
	FlagTooLittleData = "too_little_data" // less than MinCoverageSeconds of stream
	FlagSingleScene   = "single_scene"    // fewer than MinCoverageScenes recordings
)

// Flags are the coverage flags of c, nil when nothing is too little (or
// nothing was recorded); Warnings says the same in sentences.
func (c Coverage) Flags() []string {
	if c.Frames == 0 {
		return nil
	}
	var f []string
	if c.Seconds < MinCoverageSeconds {
		f = append(f, FlagTooLittleData)
	}
	if c.Scenes < MinCoverageScenes {
		f = append(f, FlagSingleScene)
	}
	return f
}

// Warnings says what is too little about the data, nil when nothing is
// (or nothing was recorded).
func (c Coverage) Warnings() []string {
	var w []string
	for _, f := range c.Flags() {
		switch f {
		case FlagTooLittleData:
			w = append(w, fmt.Sprintf("too little data: %.0f s of clean stream (%d frames), want at least %d s: thresholds from it fire on the next minutes of new drive",
				c.Seconds, c.Frames, MinCoverageSeconds))
		case FlagSingleScene:
			w = append(w, fmt.Sprintf("a single scene: %d recording, want at least %d from different places: a new scene looks abnormal to the model",
				c.Scenes, MinCoverageScenes))
		}
	}
	return w
}

// CoverageOf reads the coverage statistics of a calibration section.
func CoverageOf(c firmware.Calibration) Coverage {
	var cov Coverage
	for _, s := range c.Stats {
		switch s.Name {
		case statDataFrames:
			cov.Frames = int(s.Value)
		case statDataScenes:
			cov.Scenes = int(s.Value)
		case statDataSeconds:
			cov.Seconds = s.Value
		}
	}
	return cov
}
