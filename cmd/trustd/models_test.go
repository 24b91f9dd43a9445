package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/drivers"
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

// TestPackagedModelsJudgeOutOfTheBox loads the packaged configuration with
// the packaged (unsigned) default models where the package puts them: both
// sensors must get their model, which runs from the package directory and
// is never copied where OTA bundles land. The same bundle is refused when
// the directory could have been written by someone else, and an unsigned
// bundle pushed over the air is still refused.
func TestPackagedModelsJudgeOutOfTheBox(t *testing.T) {
	firmwaretest.RequireRoot(t)
	ctx := context.Background()
	dir := t.TempDir()
	pkg := filepath.Join(dir, "usr-share-trustd-models")
	os.MkdirAll(pkg, 0o755)
	for _, f := range []string{"lidar.bundle", "camera.bundle"} {
		data, err := os.ReadFile(filepath.Join("../../deploy/models", f))
		if err != nil {
			t.Fatalf("default model: %v (run make models)", err)
		}
		if b, err := firmware.Parse(data); err != nil || len(b.Signatures) != 0 {
			t.Fatalf("%s: want the unsigned packaged bundle (err %v)", f, err)
		}
		if err := os.WriteFile(filepath.Join(pkg, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := drivers.Registry()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("../../deploy/trustd.yaml", reg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Models.AllowUnsigned {
		t.Fatal("the packaged configuration allows unsigned bundles")
	}
	cfg.Models.Dir = pkg
	cfg.Models.TrustedKeys = filepath.Join(dir, "keys") // as the package makes it: empty
	os.MkdirAll(cfg.Models.TrustedKeys, 0o755)
	state := filepath.Join(dir, "state")
	ms := newModelSet(zerolog.Nop(), state, cfg.Models)
	for _, s := range cfg.Sensors {
		kind := map[string]sensors.Kind{"velodyne": sensors.KindLidar, "v4l2": sensors.KindCamera}[s.Driver]
		m, err := ms.sensorModel(ctx, cfg, s, kind)
		if err != nil || m.Scorer == nil {
			t.Fatalf("%s: the packaged model does not judge out of the box: %+v, %v", s.Name, m, err)
		}
		if m.ID != kind.String()+"-default" {
			t.Errorf("%s runs model %s", s.Name, m.ID)
		}
		// The state says when the model was made from too little data.
		b, _ := firmware.Parse(readFile(t, filepath.Join(pkg, kind.String()+".bundle")))
		c, _, _ := b.Calibration()
		if want := modelbundle.CoverageOf(c).Flags(); !slices.Equal(m.Coverage, want) {
			t.Errorf("%s: model coverage %v, want the bundle's %v", s.Name, m.Coverage, want)
		}
	}
	if slots, _ := filepath.Glob(filepath.Join(state, "models", "*", "slot-*")); len(slots) > 0 {
		t.Errorf("an unsigned packaged bundle was copied into the store: %v", slots)
	}

	// An unsigned bundle over the air still needs a signature.
	st, err := ms.store(ctx, sensors.KindLidar)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(pkg, "lidar.bundle"))
	b, _ := firmware.Parse(data)
	b.Version++
	newer, _ := b.MarshalBinary()
	if _, err := st.Install(ctx, newer); !errors.Is(err, firmware.ErrUnsigned) {
		t.Errorf("unsigned OTA bundle: %v, want it refused as unsigned", err)
	}

	// A directory others can write is no package directory.
	os.Chmod(pkg, 0o777)
	ms.setPolicy(cfg.Models)
	if m, _ := ms.sensorModel(ctx, cfg, cfg.Sensors[0], sensors.KindLidar); m.Scorer != nil {
		t.Error("an unsigned bundle in a world-writable directory judges")
	}
	os.Chmod(pkg, 0o755)

	// Without trust_packaged the packaged configuration would judge by
	// stream checks only.
	cfg.Models.TrustPackaged = false
	ms.setPolicy(cfg.Models)
	if m, _ := ms.sensorModel(ctx, cfg, cfg.Sensors[0], sensors.KindLidar); m.Scorer != nil {
		t.Error("an unsigned packaged bundle judges without models.trust_packaged")
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
