package firmware_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/sensors"
)

func TestOpenPackaged(t *testing.T) {
	ctx := context.Background()
	opts := firmware.Options{Trust: trust(releaseKey), Kind: sensors.KindLidar, Loader: firmwaretest.Loader(0)}

	a, err := firmware.OpenPackaged(ctx, mustBuild(t, spec(1)), opts)
	if err != nil {
		t.Fatalf("unsigned packaged bundle: %v", err)
	}
	if a.Slot != firmware.SlotPackage || a.Bundle.Version != 1 || len(a.Models) != 2 || len(a.Signers) != 0 {
		t.Errorf("active %+v", a)
	}
	if a, err := firmware.OpenPackaged(ctx, mustBuild(t, spec(1), releaseKey), opts); err != nil || len(a.Signers) != 1 {
		t.Errorf("signed packaged bundle: %+v, %v", a, err)
	}

	refused := map[string][]byte{}
	signed := mustBuild(t, spec(1), releaseKey)
	signed[len(signed)-1] ^= 1 // the signature, not the content
	refused["signature"] = signed
	refused["unknown key"] = mustBuild(t, spec(1), firmwaretest.Key("other"))
	camera := spec(1)
	camera.Kind = sensors.KindCamera
	refused["wrong_sensor"] = mustBuild(t, camera)
	content := mustBuild(t, spec(1))
	content[40] ^= 1
	refused["tampered"] = content
	for name, data := range refused {
		if _, err := firmware.OpenPackaged(ctx, data, opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	skewed := opts
	skewed.Loader = firmwaretest.Loader(1) // a device whose models give other scores than the probes
	if _, err := firmware.OpenPackaged(ctx, mustBuild(t, spec(1)), skewed); err == nil {
		t.Error("a bundle failing its self-test accepted")
	}
}

func TestCheckPackageFile(t *testing.T) {
	firmwaretest.RequireRoot(t)
	dir := filepath.Join(t.TempDir(), "models")
	os.Mkdir(dir, 0o755)
	f := filepath.Join(dir, "lidar.bundle")
	os.WriteFile(f, []byte("x"), 0o644)
	if err := firmware.CheckPackageFile(f); err != nil {
		t.Fatalf("root-owned 0644 file in a 0755 directory: %v", err)
	}
	for _, c := range []struct {
		name  string
		setup func()
		undo  func()
	}{
		{"group-writable file", func() { os.Chmod(f, 0o664) }, func() { os.Chmod(f, 0o644) }},
		{"world-writable directory", func() { os.Chmod(dir, 0o777) }, func() { os.Chmod(dir, 0o755) }},
		{"file of another user", func() { os.Chown(f, 1000, 1000) }, func() { os.Chown(f, 0, 0) }},
		{"directory of another user", func() { os.Chown(dir, 1000, 1000) }, func() { os.Chown(dir, 0, 0) }},
	} {
		c.setup()
		if err := firmware.CheckPackageFile(f); !errors.Is(err, firmware.ErrNotPackaged) {
			t.Errorf("%s: %v, want ErrNotPackaged", c.name, err)
		}
		c.undo()
	}
	if err := firmware.CheckPackageFile(dir); !errors.Is(err, firmware.ErrNotPackaged) {
		t.Errorf("a directory: %v", err)
	}
	if err := firmware.CheckPackageFile(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}
