package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/sensors"
)

// TestReloadAppliesTheModelPolicy: after a reload, a bundle signed by a key
// removed from models.trusted_keys, or an unsigned bundle once
// allow_unsigned is off, no longer judges the sensor.
func TestReloadAppliesTheModelPolicy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key, keys := fleetKey(t, dir)
	packaged := filepath.Join(dir, "packaged")
	os.MkdirAll(packaged, 0o755)
	os.WriteFile(filepath.Join(packaged, "lidar.bundle"), signedVersion(t, key, 1), 0o644)

	cfg := config.Config{Models: config.Models{Dir: packaged, TrustedKeys: keys}}
	s := config.Sensor{Name: "lidar0"}
	ms := newModelSet(zerolog.Nop(), filepath.Join(dir, "state"), cfg.Models)
	m, err := ms.sensorModel(ctx, cfg, s, sensors.KindLidar)
	if err != nil || m.Scorer == nil {
		t.Fatalf("signed bundle with its key trusted: model %+v, %v", m, err)
	}

	// The operator removes the compromised key and reloads.
	os.Remove(filepath.Join(keys, "fleet.pub"))
	if ms.setPolicy(cfg.Models) {
		t.Error("an unchanged models section reported as changed")
	}
	if m, _ := ms.sensorModel(ctx, cfg, s, sensors.KindLidar); m.Scorer != nil {
		t.Errorf("bundle signed by a removed key still judges after the reload (model %s)", m.ID)
	}

	// Unsigned bundles on a bench, then allow_unsigned turned off.
	b, _ := firmware.Parse(signedVersion(t, key, 2))
	b.Signatures = nil
	unsigned, _ := b.MarshalBinary()
	os.WriteFile(filepath.Join(packaged, "lidar.bundle"), unsigned, 0o644)
	cfg.Models = config.Models{Dir: packaged, AllowUnsigned: true}
	if !ms.setPolicy(cfg.Models) {
		t.Error("a changed models section reported as unchanged")
	}
	if m, err := ms.sensorModel(ctx, cfg, s, sensors.KindLidar); err != nil || m.Scorer == nil {
		t.Fatalf("unsigned bundle with allow_unsigned: model %+v, %v", m, err)
	}
	cfg.Models.AllowUnsigned, cfg.Models.TrustedKeys = false, keys
	ms.setPolicy(cfg.Models)
	if m, _ := ms.sensorModel(ctx, cfg, s, sensors.KindLidar); m.Scorer != nil {
		t.Error("unsigned bundle still judges after allow_unsigned was turned off")
	}
}
