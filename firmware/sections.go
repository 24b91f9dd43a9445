package firmware

import (
	"crypto/sha256"
	"fmt"
	"math"
	"time"
)

// Calibration is the payload of a SectionCalibration: the decision
// thresholds and where they came from. Thresholds are in the scorer's
// integer score units; statistics are free-form named numbers (for example
// "clean_frames", "score_mean", "score_p99").
type Calibration struct {
	TargetFPR  float64 // false-positive rate the thresholds were set for, in [0, 1]
	Thresholds []Threshold
	Stats      []Stat
}

// Threshold is one named decision threshold (e.g. "warn", "error").
type Threshold struct {
	Name  string
	Value int64
}

// Stat is one named calibration statistic.
type Stat struct {
	Name  string
	Value float64
}

// Calibration payload: f64 target FPR; u16 n; n × (u8 len, name, i64);
// u16 m; m × (u8 len, name, f64). Floats are IEEE 754 binary64 bit patterns.

// MarshalBinary encodes the calibration section payload.
func (c Calibration) MarshalBinary() ([]byte, error) {
	if !(c.TargetFPR >= 0 && c.TargetFPR <= 1) {
		return nil, fmt.Errorf("firmware: calibration target FPR %v outside [0, 1]", c.TargetFPR)
	}
	if len(c.Thresholds) > math.MaxUint16 || len(c.Stats) > math.MaxUint16 {
		return nil, fmt.Errorf("firmware: calibration has too many entries")
	}
	b := appendU64(nil, math.Float64bits(c.TargetFPR))
	b = appendU16(b, uint16(len(c.Thresholds)))
	for _, t := range c.Thresholds {
		if len(t.Name) > 255 {
			return nil, fmt.Errorf("firmware: threshold name of %d bytes", len(t.Name))
		}
		b = append(append(b, byte(len(t.Name))), t.Name...)
		b = appendU64(b, uint64(t.Value))
	}
	b = appendU16(b, uint16(len(c.Stats)))
	for _, s := range c.Stats {
		if len(s.Name) > 255 {
			return nil, fmt.Errorf("firmware: statistic name of %d bytes", len(s.Name))
		}
		b = append(append(b, byte(len(s.Name))), s.Name...)
		b = appendU64(b, math.Float64bits(s.Value))
	}
	return b, nil
}

// ParseCalibration decodes a calibration section payload.
func ParseCalibration(p []byte) (Calibration, error) {
	r := &reader{b: p}
	var c Calibration
	c.TargetFPR = math.Float64frombits(r.u64("target FPR"))
	if r.err == nil && !(c.TargetFPR >= 0 && c.TargetFPR <= 1) {
		r.fail("calibration target FPR %v outside [0, 1]", c.TargetFPR)
	}
	n := r.u16("threshold count")
	for i := 0; i < int(n) && r.err == nil; i++ {
		name := r.str(uint64(r.u8("threshold name length")), "threshold name")
		v := int64(r.u64("threshold value"))
		c.Thresholds = append(c.Thresholds, Threshold{Name: name, Value: v})
	}
	m := r.u16("statistic count")
	for i := 0; i < int(m) && r.err == nil; i++ {
		name := r.str(uint64(r.u8("statistic name length")), "statistic name")
		v := math.Float64frombits(r.u64("statistic value"))
		c.Stats = append(c.Stats, Stat{Name: name, Value: v})
	}
	if err := r.done("calibration"); err != nil {
		return Calibration{}, fmt.Errorf("firmware: calibration section: %w", err)
	}
	return c, nil
}

// Threshold returns the threshold named name.
func (c Calibration) Threshold(name string) (int64, bool) {
	for _, t := range c.Thresholds {
		if t.Name == name {
			return t.Value, true
		}
	}
	return 0, false
}

// Metadata is the payload of a SectionMetadata: how the models were made.
type Metadata struct {
	DataHash    [sha256.Size]byte // SHA-256 over the training data, as trustctl train computes it
	Seed        uint64            // training random seed
	Created     time.Time         // when training finished (stored as Unix nanoseconds, UTC)
	ToolVersion string            // trustctl version that trained the models
}

// Metadata payload: 32 data hash; u64 seed; i64 created (Unix ns);
// u8 len, tool version.

// MarshalBinary encodes the metadata section payload.
func (m Metadata) MarshalBinary() ([]byte, error) {
	if len(m.ToolVersion) > 255 {
		return nil, fmt.Errorf("firmware: tool version of %d bytes", len(m.ToolVersion))
	}
	b := append([]byte(nil), m.DataHash[:]...)
	b = appendU64(b, m.Seed)
	b = appendU64(b, uint64(m.Created.UnixNano()))
	b = append(append(b, byte(len(m.ToolVersion))), m.ToolVersion...)
	return b, nil
}

// ParseMetadata decodes a metadata section payload.
func ParseMetadata(p []byte) (Metadata, error) {
	r := &reader{b: p}
	var m Metadata
	copy(m.DataHash[:], r.take(sha256.Size, "data hash"))
	m.Seed = r.u64("seed")
	m.Created = time.Unix(0, int64(r.u64("created"))).UTC()
	m.ToolVersion = r.str(uint64(r.u8("tool version length")), "tool version")
	if err := r.done("metadata"); err != nil {
		return Metadata{}, fmt.Errorf("firmware: metadata section: %w", err)
	}
	return m, nil
}

// Probe is one recorded input of a model and the integer score the model
// gave it when the bundle was built. A device re-runs every probe after
// install and on start and must reproduce Score bit for bit.
type Probe struct {
	Section SectionType // model section the input goes through (SectionVAE, SectionHealth)
	Input   []byte      // encoded by the model itself (e.g. likelihood's EncodeProbe)
	Score   int64
}

// Probes payload: u32 n; n × (u16 section type, u32 input length, input,
// i64 score).

// MarshalProbes encodes a probes section payload.
func MarshalProbes(ps []Probe) ([]byte, error) {
	var b []byte
	b = appendU32(b, uint32(len(ps)))
	for i, p := range ps {
		if uint64(len(p.Input)) > math.MaxUint32 {
			return nil, fmt.Errorf("firmware: probe %d input of %d bytes", i, len(p.Input))
		}
		b = appendU16(b, uint16(p.Section))
		b = appendU32(b, uint32(len(p.Input)))
		b = append(b, p.Input...)
		b = appendU64(b, uint64(p.Score))
	}
	return b, nil
}

// ParseProbes decodes a probes section payload. Inputs alias p.
func ParseProbes(p []byte) ([]Probe, error) {
	r := &reader{b: p}
	n := r.u32("probe count")
	// Each probe takes at least 14 bytes; refuse counts the payload cannot hold
	// before allocating for them.
	if r.err == nil && uint64(n)*14 > uint64(r.left()) {
		r.fail("%d probes cannot fit in %d bytes", n, r.left())
	}
	var ps []Probe
	if r.err == nil {
		ps = make([]Probe, 0, n)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		var pr Probe
		pr.Section = SectionType(r.u16("probe section"))
		pr.Input = r.take(uint64(r.u32("probe input length")), "probe input")
		pr.Score = int64(r.u64("probe score"))
		ps = append(ps, pr)
	}
	if err := r.done("probes"); err != nil {
		return nil, fmt.Errorf("firmware: probes section: %w", err)
	}
	return ps, nil
}

// Calibration decodes the bundle's calibration section.
func (b *Bundle) Calibration() (Calibration, bool, error) {
	p, ok := b.Section(SectionCalibration)
	if !ok {
		return Calibration{}, false, nil
	}
	c, err := ParseCalibration(p)
	return c, true, err
}

// Metadata decodes the bundle's metadata section.
func (b *Bundle) Metadata() (Metadata, bool, error) {
	p, ok := b.Section(SectionMetadata)
	if !ok {
		return Metadata{}, false, nil
	}
	m, err := ParseMetadata(p)
	return m, true, err
}

// Probes decodes the bundle's probes section (nil when absent).
func (b *Bundle) Probes() ([]Probe, error) {
	p, ok := b.Section(SectionProbes)
	if !ok {
		return nil, nil
	}
	return ParseProbes(p)
}
