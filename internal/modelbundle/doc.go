// Package modelbundle turns a sensor's trained models into a signed-bundle
// file of package firmware and back: the quantised likelihood VAE (section
// vae), the health autoencoder over per-frame statistics (section health),
// the calibrated thresholds and clean-score statistics (section
// calibration), the training provenance (section metadata) and probe inputs
// with the integer scores they must reproduce (section probes).
//
// trustctl train writes bundles with Build; trustctl score, eval and inspect
// and the daemon read them with Open, which checks the structure, the
// content hash, the sensor kind, loads both models and re-runs every probe
// (firmware.SelfTest) before a model is used.
//
// Host bundles (kind firmware.KindHost) carry the host health model of
// package agent/host instead: BuildHost packs it (trustctl train --host),
// HostLoader loads it on the robot and refuses a model over another feature
// set than this build's host vector, OpenHost opens one for inspection.
// Their calibration holds health_warn and health_error and the training's
// sample count, period and alarm target; their probes are host vectors.
//
// Probe encodings. VAE probes are likelihood.Model.EncodeProbe inputs (int8
// per input) scored by ScoreProbe (Q12 nats). Health probes are the feature
// vector in natural units as little-endian float64 bit patterns; their score
// is the fixed-point health score scaled back to the integer sum of squared
// Q10 errors, score·d·2²⁰, which is exact: standardisation is one
// subtraction and one division per feature (no fused multiply-add can
// change it) and everything after it is integer.
package modelbundle
