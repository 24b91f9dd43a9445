package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
)

// inspectReport is what `trustctl inspect --json` prints.
type inspectReport struct {
	File           string                 `json:"file"`
	Bytes          int                    `json:"bytes"`
	ModelID        string                 `json:"model_id"`
	Version        uint64                 `json:"version"`
	Sensor         string                 `json:"sensor"`
	Representation string                 `json:"representation"`
	Sections       map[string]int         `json:"section_bytes"`
	Inputs         int                    `json:"inputs"`
	Hidden         int                    `json:"hidden"`
	Latent         int                    `json:"latent"`
	FloatParams    int                    `json:"float_params"`
	QuantBytes     int                    `json:"quantised_bytes"`
	MACsPerScore   int                    `json:"macs_per_score"`
	Threshold      float64                `json:"threshold"`
	Calibration    likelihood.Calibration `json:"calibration"`
	// ScoreWarn is the frame-score WARN threshold (0: none).
	ScoreWarn float64 `json:"score_warn,omitempty"`
	// ScoreRise is the frame-score rise alarm level (0: none).
	ScoreRise float64 `json:"score_rise,omitempty"`
	// RiseFrames is how many frames in a row the rise must hold (absent
	// without a rise alarm).
	RiseFrames int `json:"rise_frames,omitempty"`
	// Coverage of the training data (absent when not recorded) and what
	// is too little about it.
	Coverage         *modelbundle.Coverage `json:"coverage,omitempty"`
	CoverageWarnings []string              `json:"coverage_warnings,omitempty"`
	HealthFeatures   int                   `json:"health_features,omitempty"`
	HealthWarn       float64               `json:"health_warn,omitempty"`
	HealthError      float64               `json:"health_error,omitempty"`
	HealthAdvisory   bool                  `json:"health_advisory,omitempty"`
	DataHash         string                `json:"training_data_sha256"`
	Seed             uint64                `json:"seed"`
	Created          string                `json:"created"`
	ToolVersion      string                `json:"tool_version"`
	Probes           int                   `json:"probes"`
	Signatures       []string              `json:"signatures"`
}

// cmdInspect prints what a model bundle holds.
func cmdInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", stderr)
	var pubs pathList
	fs.Var(&pubs, "pub", "public key `file or directory` to check signatures against (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl inspect [--pub KEY] [--json] MODEL")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Loads a model bundle (running its probes) and prints the representation, sizes,")
		fmt.Fprintln(fs.Output(), "multiply-accumulates per score, threshold, calibration statistics, training data")
		fmt.Fprintln(fs.Output(), "hash, version and signature state.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	path, err := oneArg(fs, "model")
	if err != nil {
		return err
	}
	ts, err := loadTrust(pubs)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if b, err := firmware.Parse(data); err == nil && b.Kind == firmware.KindHost {
		return inspectHost(ctx, path, data, ts, *asJSON, stdout)
	}
	ms, err := openModel(ctx, path, sensors.KindUnknown)
	if err != nil {
		return err
	}
	info := ms.VAE.Info()
	rep := inspectReport{
		File: path, Bytes: ms.Size, ModelID: ms.Bundle.ModelID, Version: ms.Bundle.Version,
		Sensor: ms.Bundle.Kind.String(), Representation: info.Shape, Sections: map[string]int{},
		Inputs: info.Inputs, Hidden: info.Hidden, Latent: info.Latent, FloatParams: info.FloatParams,
		QuantBytes: info.QuantBytes, MACsPerScore: info.MACsPerScore, Threshold: ms.VAE.Threshold(),
		Calibration: info.Calibration, ScoreWarn: ms.ScoreWarn, ScoreRise: ms.ScoreRise, CoverageWarnings: ms.Coverage.Warnings(),
	}
	if ms.ScoreRise > 0 {
		rep.RiseFrames = cmp.Or(ms.RiseFrames, decision.RiseFrames)
	}
	if ms.Coverage.Frames > 0 {
		cv := ms.Coverage
		rep.Coverage = &cv
	}
	for _, s := range ms.Bundle.Sections {
		rep.Sections[s.Type.String()] = len(s.Data)
	}
	if ms.Health != nil {
		rep.HealthFeatures, rep.HealthWarn, rep.HealthError = ms.Health.D(), ms.Health.Warn, ms.Health.Error
		rep.HealthAdvisory = ms.Health.Error >= advisoryError
	}
	if ms.HasMetadata {
		rep.DataHash = hex.EncodeToString(ms.Metadata.DataHash[:])
		rep.Seed = ms.Metadata.Seed
		rep.Created = ms.Metadata.Created.UTC().Format("2006-01-02T15:04:05Z")
		rep.ToolVersion = ms.Metadata.ToolVersion
	}
	if ps, err := ms.Bundle.Probes(); err == nil {
		rep.Probes = len(ps)
	}
	if rep.Signatures, err = signatureLines(data, ts); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, rep)
	}
	w := &errWriter{w: stdout}
	w.printf("model          %s (%d bytes)\n", path, rep.Bytes)
	w.printf("id, version    %s, version %d\n", rep.ModelID, rep.Version)
	w.printf("sensor         %s\n", rep.Sensor)
	w.printf("representation %s = %d inputs (%d image, %d frame statistics, statistic weight %g)\n",
		info.Shape, info.Inputs, info.ImageInputs, info.StatInputs, info.StatWeight)
	w.printf("VAE            %d → %d → latent %d → %d → %d; %d float parameters, %d bytes quantised\n",
		info.Inputs, info.Hidden, info.Latent, info.DecoderHidden, info.Inputs, info.FloatParams, info.QuantBytes)
	w.printf("score          fixed-point approximated likelihood regret: %d re-fit steps × %d directions, %d samples\n",
		info.Refit.Steps, info.Refit.Directions, info.Refit.Samples)
	w.printf("MACs/score     %d (encoder %d, %d decoder passes × %d; a naive decoder would need %d)\n",
		info.MACsPerScore, info.MACsEncoder, info.DecoderPasses, info.MACsPerDecoderPass, info.MACsNaiveDecoder)
	unit := "nats"
	if info.Mode == likelihood.ScoreRegretAndStats {
		unit = "robust z"
		w.printf("combined       largest robust z-score of regret (%.4g ± %.4g nats), statistics residual (%.4g ± %.4g)",
			info.RegretCentre, info.RegretScale, info.ResidCentre, info.ResidScale)
		if info.NLLScale > 0 {
			w.printf(", NLL after re-fit (%.4g ± %.4g)", info.NLLCentre, info.NLLScale)
		}
		w.printf("; centre ± scale: median and spread on clean frames\n")
	}
	c := info.Calibration
	w.printf("threshold      %.4f %s (target per-frame FPR %.3g on %d held-out clean frames)\n", c.Threshold, unit, c.TargetFPR, c.Frames)
	if ms.ScoreWarn > 0 {
		w.printf("WARN threshold %.4f %s\n", ms.ScoreWarn, unit)
	}
	if ms.ScoreRise > 0 {
		w.printf("rise level     %.4f (log(score + %g) over the stream's recent level, held %d frames)\n", ms.ScoreRise, decision.RiseOffset, rep.RiseFrames)
	}
	w.printf("clean scores   mean %.4g, std %.4g, p50 %.4g, p90 %.4g, p99 %.4g, max %.4g\n", c.Mean, c.Std, c.P50, c.P90, c.P99, c.Max)
	switch {
	case ms.Health != nil && ms.Health.Error >= advisoryError:
		w.printf("health model   %d features → 32 → 8 → 32; WARN above %.4g (advisory: never ERROR)\n", ms.Health.D(), ms.Health.Warn)
	case ms.Health != nil:
		w.printf("health model   %d features → 32 → 8 → 32; WARN above %.4g, ERROR above %.4g\n", ms.Health.D(), ms.Health.Warn, ms.Health.Error)
	default:
		w.printf("health model   none\n")
	}
	m := ms.VAE.Meta()
	w.printf("training       %d frames (train %d, val %d, cal %d, skipped %d), %d epochs (best %d), seed %d\n",
		m.Frames, m.TrainFrames, m.ValFrames, m.CalFrames, m.Skipped, m.Epochs, m.BestEpoch, m.Seed)
	w.printf("training data  sha256:%s\n", rep.DataHash)
	if cv := ms.Coverage; cv.Frames > 0 {
		w.printf("data coverage  %d frames, %d scenes, %.0f s of stream\n", cv.Frames, cv.Scenes, cv.Seconds)
	} else {
		w.printf("data coverage  not recorded\n")
	}
	for _, s := range rep.CoverageWarnings {
		w.printf("warning        %s\n", s)
	}
	w.printf("created        %s by trustctl %s\n", rep.Created, rep.ToolVersion)
	w.printf("sections      ")
	for _, s := range ms.Bundle.Sections {
		w.printf(" %s %d B;", s.Type, len(s.Data))
	}
	w.printf("\nprobes         %d, all reproduced\n", rep.Probes)
	printSignatures(w, rep.Signatures)
	return w.err
}

// signatureLines says, for inspect, who signed a bundle and whether each
// signature verifies against the keys given.
func signatureLines(data []byte, ts firmware.Verifiers) ([]string, error) {
	checks, err := firmware.CheckSignatures(data, ts)
	if err != nil {
		return nil, err
	}
	if len(checks) == 0 {
		return []string{"unsigned (installs only on a robot in development mode; sign with 'trustctl bundle sign')"}, nil
	}
	var out []string
	for _, c := range checks {
		state := "verified"
		var uk *firmware.UnknownKeyError
		switch {
		case errors.As(c.Err, &uk):
			state = "not checked (key not given with --pub)"
		case c.Err != nil:
			state = "BAD SIGNATURE"
		}
		out = append(out, fmt.Sprintf("%s %s %s", c.KeyID, c.Name, state))
	}
	return out, nil
}

func printSignatures(w *errWriter, sigs []string) {
	for i, s := range sigs {
		if i == 0 {
			w.printf("signatures     %s\n", s)
		} else {
			w.printf("               %s\n", s)
		}
	}
}
