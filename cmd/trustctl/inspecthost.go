package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/internal/modelbundle"
)

// hostInspectReport is what `trustctl inspect --json` prints for a host
// bundle.
type hostInspectReport struct {
	File         string   `json:"file"`
	Bytes        int      `json:"bytes"`
	ModelID      string   `json:"model_id"`
	Version      uint64   `json:"version"`
	Kind         string   `json:"kind"` // "host"
	HostModelID  string   `json:"host_model_id"`
	Features     []string `json:"features"`
	HealthWarn   float64  `json:"health_warn"`
	HealthError  float64  `json:"health_error"`
	Samples      int      `json:"samples"`
	PeriodS      float64  `json:"period_s"`
	AlarmsPerDay float64  `json:"alarms_per_day"`
	DataHash     string   `json:"training_data_sha256"`
	Seed         uint64   `json:"seed"`
	Created      string   `json:"created"`
	ToolVersion  string   `json:"tool_version"`
	Probes       int      `json:"probes"`
	Signatures   []string `json:"signatures"`
}

// inspectHost prints what a host bundle holds, after running its probes.
func inspectHost(ctx context.Context, path string, data []byte, ts firmware.Verifiers, asJSON bool, stdout io.Writer) error {
	h, err := modelbundle.OpenHost(ctx, data)
	if err != nil {
		return fmt.Errorf("model %s is not a usable host bundle: %w", path, err)
	}
	m := h.Model
	rep := hostInspectReport{
		File: path, Bytes: h.Size, ModelID: h.Bundle.ModelID, Version: h.Bundle.Version, Kind: firmware.KindName(h.Bundle.Kind),
		HostModelID: m.ID, Features: m.Names, HealthWarn: m.Warn, HealthError: m.Error,
	}
	if v, ok := h.Stat(modelbundle.StatHostSamples); ok {
		rep.Samples = int(v)
	}
	rep.PeriodS, _ = h.Stat(modelbundle.StatHostPeriod)
	rep.AlarmsPerDay, _ = h.Stat(modelbundle.StatHostAlarmsPerDay)
	if h.HasMetadata {
		rep.DataHash = hex.EncodeToString(h.Metadata.DataHash[:])
		rep.Seed, rep.ToolVersion = h.Metadata.Seed, h.Metadata.ToolVersion
		rep.Created = h.Metadata.Created.UTC().Format(time.RFC3339)
	}
	if ps, err := h.Bundle.Probes(); err == nil {
		rep.Probes = len(ps)
	}
	if rep.Signatures, err = signatureLines(data, ts); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, rep)
	}
	w := &errWriter{w: stdout}
	w.printf("model          %s (%d bytes)\n", path, rep.Bytes)
	w.printf("id, version    %s, version %d\n", rep.ModelID, rep.Version)
	w.printf("kind           host: the health model of the robot's own computer (no sensor model)\n")
	w.printf("host model     %s: %d features → 32 → 8 → 32; WARN above %.4g, ERROR above %.4g\n", rep.HostModelID, len(rep.Features), rep.HealthWarn, rep.HealthError)
	w.printf("features       %s\n", strings.Join(rep.Features, ", "))
	w.printf("training       %d samples, one per %gs; thresholds for %g false WARN a day (ERROR a tenth of it)\n", rep.Samples, rep.PeriodS, rep.AlarmsPerDay)
	w.printf("training data  sha256:%s\n", rep.DataHash)
	w.printf("created        %s by trustctl %s, seed %d\n", rep.Created, rep.ToolVersion, rep.Seed)
	w.printf("probes         %d, all reproduced\n", rep.Probes)
	printSignatures(w, rep.Signatures)
	return w.err
}
