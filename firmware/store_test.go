package firmware_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/sensors"
)

var releaseKey = firmwaretest.Key("release")

func spec(version uint64) firmwaretest.Spec {
	s := small
	s.Version = version
	return s
}

func newStore(t testing.TB, fsys firmware.FS, skew int64) *firmware.Store {
	t.Helper()
	s, err := firmware.NewStore(fsys, firmware.Options{
		Trust:  trust(releaseKey),
		Kind:   sensors.KindLidar,
		Loader: firmwaretest.Loader(skew),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreOptions(t *testing.T) {
	fsys := firmwaretest.NewMemFS()
	if _, err := firmware.NewStore(fsys, firmware.Options{Trust: trust(releaseKey)}); err == nil {
		t.Error("no loader accepted")
	}
	if _, err := firmware.NewStore(fsys, firmware.Options{Loader: firmwaretest.Loader(0)}); err == nil {
		t.Error("no trust store accepted without development mode")
	}
	if _, err := firmware.NewStore(fsys, firmware.Options{Loader: firmwaretest.Loader(0), Signatures: firmware.AllowUnsigned}); err != nil {
		t.Errorf("development mode: %v", err)
	}
}

func TestStoreInstallAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fsys, err := firmware.OpenDirFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	s := newStore(t, fsys, 0)
	if _, err := s.Start(ctx); !errors.Is(err, firmware.ErrNoModel) {
		t.Fatalf("empty store: %v", err)
	}
	for v := uint64(1); v <= 3; v++ {
		a, err := s.Install(ctx, mustBuild(t, spec(v), releaseKey))
		if err != nil {
			t.Fatalf("install v%d: %v", v, err)
		}
		if a.Bundle.Version != v || len(a.Models) != 2 || len(a.Signers) != 1 {
			t.Fatalf("active after v%d: %+v", v, a)
		}
	}
	if _, err := s.Install(ctx, mustBuild(t, spec(2), releaseKey)); firmware.Code(err) != "downgrade" {
		t.Fatalf("downgrade: %v", err)
	}
	if _, err := s.Install(ctx, mustBuild(t, spec(9))); firmware.Code(err) != "unsigned" {
		t.Fatalf("unsigned: %v", err)
	}
	// A restart finds version 3 in slot a (1 → a, 2 → b, 3 → a).
	a, err := newStore(t, fsys, 0).Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.Slot != firmware.SlotA || a.Bundle.Version != 3 || a.Rollback != nil {
		t.Fatalf("after restart: slot %s version %d rollback %v", a.Slot, a.Bundle.Version, a.Rollback)
	}
	st, err := os.Stat(filepath.Join(dir, "slot-a.bundle"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("slot file mode %v", st.Mode().Perm())
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(m) != 0 {
		t.Errorf("left temporary files: %v", m)
	}
}

// TestSelfTestFailureOnInstall: a device whose kernel does not reproduce the
// recorded scores refuses the bundle and keeps its model.
func TestSelfTestFailureOnInstall(t *testing.T) {
	ctx := context.Background()
	fsys := firmwaretest.NewMemFS()
	if _, err := newStore(t, fsys, 0).Install(ctx, mustBuild(t, spec(1), releaseKey)); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, fsys, 1) // scores off by one: not bit-exact
	_, err := s.Install(ctx, mustBuild(t, spec(2), releaseKey))
	var st *firmware.SelfTestError
	if !errors.As(err, &st) || st.Want-st.Got != -1 {
		t.Fatalf("got %v", err)
	}
	a, err := newStore(t, fsys, 0).Start(ctx)
	if err != nil || a.Bundle.Version != 1 {
		t.Fatalf("after refused install: %v %+v", err, a)
	}
}

// TestStartRollsBack: the active slot is corrupted on disk; Start falls
// back to the other slot, points at it and says why.
func TestStartRollsBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fsys, err := firmware.OpenDirFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	s := newStore(t, fsys, 0)
	for v := uint64(1); v <= 2; v++ {
		if _, err := s.Install(ctx, mustBuild(t, spec(v), releaseKey)); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "slot-b.bundle")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[binary.LittleEndian.Uint32(data[12:])-3] ^= 0x10 // inside the last section
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := newStore(t, fsys, 0).Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.Slot != firmware.SlotA || a.Bundle.Version != 1 || firmware.Code(a.Rollback) != "tampered" {
		t.Fatalf("slot %s version %d rollback %v", a.Slot, a.Bundle.Version, a.Rollback)
	}
	ptr, _ := os.ReadFile(filepath.Join(dir, "active"))
	if strings.TrimSpace(string(ptr)) != "a" {
		t.Fatalf("pointer %q after rollback", ptr)
	}
	// A self-test failure on start (e.g. a different arithmetic on this
	// device) with both slots failing leaves no model and says so.
	if _, err := newStore(t, fsys, 5).Start(ctx); !errors.Is(err, firmware.ErrNoModel) {
		t.Fatalf("no working slot: %v", err)
	}
}

// installSteps counts the file operations of one install of v2 over v1.
func installSteps(t *testing.T) int {
	fsys := firmwaretest.NewMemFS()
	s := newStore(t, fsys, 0)
	ctx := context.Background()
	if _, err := s.Install(ctx, mustBuild(t, spec(1), releaseKey)); err != nil {
		t.Fatal(err)
	}
	before := fsys.Ops()
	if _, err := s.Install(ctx, mustBuild(t, spec(2), releaseKey)); err != nil {
		t.Fatal(err)
	}
	return fsys.Ops() - before
}

// TestPowerCutAtEveryStep cuts power after each file operation of an
// install, reboots (losing unsynced data, or keeping it) and restarts: a
// model must always come up: the new one if Install had returned success,
// otherwise the old or the new one.
func TestPowerCutAtEveryStep(t *testing.T) {
	ctx := context.Background()
	steps := installSteps(t)
	if steps < 12 {
		t.Fatalf("an install took only %d file operations", steps)
	}
	v1, v2 := mustBuild(t, spec(1), releaseKey), mustBuild(t, spec(2), releaseKey)
	outcomes := map[string]int{}
	for _, keep := range []bool{false, true} {
		for cut := 0; cut <= steps; cut++ {
			for _, first := range []bool{false, true} {
				fsys := firmwaretest.NewMemFS()
				s := newStore(t, fsys, 0)
				old := uint64(0)
				if !first {
					if _, err := s.Install(ctx, v1); err != nil {
						t.Fatal(err)
					}
					old = 1
				}
				fsys.CutPowerAfter(cut)
				_, err := s.Install(ctx, v2)
				completed := err == nil
				if !completed && !errors.Is(err, firmwaretest.ErrPowerCut) {
					t.Fatalf("cut %d: unexpected error %v", cut, err)
				}
				fsys.Reboot(keep)
				a, err := newStore(t, fsys, 0).Start(ctx)
				switch {
				case first && !completed && errors.Is(err, firmware.ErrNoModel):
					outcomes["first install cut: no model yet"]++
					continue // nothing to run yet, and nothing half-installed runs
				case err != nil:
					t.Fatalf("keep=%v first=%v cut after %d of %d: no model after reboot: %v", keep, first, cut, steps, err)
				case completed && a.Bundle.Version != 2:
					t.Fatalf("keep=%v cut %d: install reported success but version %d came up", keep, cut, a.Bundle.Version)
				case a.Bundle.Version != 2 && a.Bundle.Version != old:
					t.Fatalf("keep=%v cut %d: version %d came up", keep, cut, a.Bundle.Version)
				}
				outcomes[fmt.Sprintf("keep=%v first=%v: v%d", keep, first, a.Bundle.Version)]++
				// And the device can still install afterwards.
				if _, err := newStore(t, fsys, 0).Install(ctx, mustBuild(t, spec(5), releaseKey)); err != nil && !first {
					t.Fatalf("keep=%v cut %d: install after recovery: %v", keep, cut, err)
				}
			}
		}
	}
	t.Logf("%d steps per install; outcomes: %v", steps, outcomes)
}

// TestDiskFull: a write fails with ENOSPC part-way; the old model stays
// active, now and after a restart, and no temporary file is left.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	fsys := firmwaretest.NewMemFS()
	s := newStore(t, fsys, 0)
	if _, err := s.Install(ctx, mustBuild(t, spec(1), releaseKey)); err != nil {
		t.Fatal(err)
	}
	before := fsys.Names()
	big := spec(2)
	big.WeightSize = 4096
	fsys.Capacity = 6000
	_, err := s.Install(ctx, mustBuild(t, big, releaseKey))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v, want ENOSPC", err)
	}
	if a := s.Active(); a == nil || a.Bundle.Version != 1 {
		t.Fatalf("active after disk full: %+v", a)
	}
	if after := fsys.Names(); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("files before %v, after %v", before, after)
	}
	fsys.Reboot(false)
	a, err := newStore(t, fsys, 0).Start(ctx)
	if err != nil || a.Bundle.Version != 1 {
		t.Fatalf("after reboot: %v %+v", err, a)
	}
}

// corruptingFS flips a byte of one file whenever it is read, as a failing
// flash block would after a successful write.
type corruptingFS struct {
	firmware.FS
	name string
}

func (c corruptingFS) ReadFile(name string) ([]byte, error) {
	b, err := c.FS.ReadFile(name)
	if err == nil && name == c.name && len(b) > 100 {
		b[100] ^= 1
	}
	return b, err
}

// TestInstallRollsBackWhenReadBackFails: the new slot verifies in memory
// but not as read back from disk after activation; the store points back
// at the old slot and says so, and a restart runs the old model.
func TestInstallRollsBackWhenReadBackFails(t *testing.T) {
	ctx := context.Background()
	mem := firmwaretest.NewMemFS()
	if _, err := newStore(t, mem, 0).Install(ctx, mustBuild(t, spec(1), releaseKey)); err != nil {
		t.Fatal(err)
	}
	fsys := corruptingFS{FS: mem, name: "slot-b.bundle"}
	s := newStore(t, fsys, 0)
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := s.Install(ctx, mustBuild(t, spec(2), releaseKey))
	if err == nil || !strings.Contains(err.Error(), "rolled back to slot a") || firmware.Code(err) != "tampered" {
		t.Fatalf("got %v", err)
	}
	if a := s.Active(); a.Slot != firmware.SlotA || a.Bundle.Version != 1 {
		t.Fatalf("active slot %s version %d", a.Slot, a.Bundle.Version)
	}
	a, err := newStore(t, fsys, 0).Start(ctx)
	if err != nil || a.Bundle.Version != 1 || a.Rollback != nil {
		t.Fatalf("restart: %v %+v", err, a)
	}
}

// TestInstallWithoutStart: a store that was not started still refuses a
// downgrade and does not overwrite the running slot.
func TestInstallWithoutStart(t *testing.T) {
	ctx := context.Background()
	fsys := firmwaretest.NewMemFS()
	s := newStore(t, fsys, 0)
	for v := uint64(1); v <= 2; v++ {
		if _, err := s.Install(ctx, mustBuild(t, spec(v), releaseKey)); err != nil {
			t.Fatal(err)
		}
	}
	fresh := newStore(t, fsys, 0)
	if _, err := fresh.Install(ctx, mustBuild(t, spec(1), releaseKey)); firmware.Code(err) != "downgrade" {
		t.Fatalf("downgrade through an unstarted store: %v", err)
	}
	a, err := fresh.Install(ctx, mustBuild(t, spec(3), releaseKey))
	if err != nil || a.Slot != firmware.SlotA {
		t.Fatalf("install v3: %v (slot %v)", err, a)
	}
}
