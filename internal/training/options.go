package training

import (
	"errors"
	"fmt"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// HealthMode says what the health autoencoder of a bundle may raise.
type HealthMode int

const (
	// HealthWarn trains an advisory health model: WARN above its 99th
	// percentile on the calibration block, never ERROR (its ERROR threshold
	// is AdvisoryHealthError).
	HealthWarn HealthMode = iota
	// HealthError trains a health model that raises WARN above its 99th and
	// ERROR above its 99.9th percentile on the calibration block.
	HealthError
	// HealthOff trains no health model.
	HealthOff
)

// String returns the mode's name as ParseHealthMode reads it.
func (m HealthMode) String() string {
	switch m {
	case HealthWarn:
		return "warn"
	case HealthError:
		return "error"
	case HealthOff:
		return "off"
	}
	return fmt.Sprintf("HealthMode(%d)", int(m))
}

// ParseHealthMode reads "warn", "error" or "off".
func ParseHealthMode(s string) (HealthMode, bool) {
	for _, m := range []HealthMode{HealthWarn, HealthError, HealthOff} {
		if s == m.String() {
			return m, true
		}
	}
	return 0, false
}

// Progress is one report of Train's progress: the VAE's stages ("encode",
// "train", "calibrate", "done") with frames encoded or epochs run out of
// Total (≤ 0 when unknown).
type Progress struct {
	Stage       string
	Done, Total int
}

// Options configure Train. Zero Epochs, Hidden, Latent, ThumbW and AzBins
// take the likelihood package's defaults.
type Options struct {
	Kind sensors.Kind // KindLidar or KindCamera
	// Seed of every random choice: the same seed and frames give the same
	// model.
	Seed uint64
	// TargetFPR is the per-frame false-positive rate the threshold is
	// calibrated to on the calibration block, in (0, 0.5).
	TargetFPR float64
	Epochs    int // maximum VAE training epochs (early stopping ends sooner)
	Hidden    int // VAE encoder and decoder hidden width
	Latent    int // VAE latent dimension
	ThumbW    int // camera thumbnail width, pixels
	AzBins    int // LiDAR range-image azimuth bins
	Health    HealthMode
	// ModelID names the model lineage in the bundle; the health model is
	// "health-" + ModelID.
	ModelID string
	Version uint64 // model version recorded in the bundle, ≥ 1
	// Created is recorded in the bundle instead of the training clock
	// (zero: now); fix it to get byte-identical bundles.
	Created time.Time
	// Progress, if set, is called synchronously as training goes on.
	Progress func(Progress)
}

// DefaultOptions returns the defaults for a sensor kind.
func DefaultOptions(kind sensors.Kind) Options {
	return Options{Kind: kind, Seed: 1, TargetFPR: 0.01, Health: HealthWarn, ModelID: kind.String() + "-default", Version: 1}
}

// ErrOptions is wrapped by Validate and Train for invalid options.
var ErrOptions = errors.New("training: invalid options")

// Validate checks the options without reading anything.
func (o Options) Validate() error {
	switch {
	case o.Kind != sensors.KindLidar && o.Kind != sensors.KindCamera:
		return fmt.Errorf("%w: sensor kind %v (want lidar or camera)", ErrOptions, o.Kind)
	case !(o.TargetFPR > 0 && o.TargetFPR < 0.5):
		return fmt.Errorf("%w: target false-positive rate %v outside (0, 0.5)", ErrOptions, o.TargetFPR)
	case o.Epochs < 0 || o.Hidden < 0 || o.Latent < 0 || o.ThumbW < 0 || o.AzBins < 0:
		return fmt.Errorf("%w: negative size (epochs %d, hidden %d, latent %d, thumbnail %d, azimuth bins %d)", ErrOptions, o.Epochs, o.Hidden, o.Latent, o.ThumbW, o.AzBins)
	case o.Health != HealthWarn && o.Health != HealthError && o.Health != HealthOff:
		return fmt.Errorf("%w: health mode %v", ErrOptions, o.Health)
	case o.ModelID == "":
		return fmt.Errorf("%w: no model id", ErrOptions)
	case o.Version == 0:
		return fmt.Errorf("%w: version 0 (want ≥ 1)", ErrOptions)
	}
	return nil
}
