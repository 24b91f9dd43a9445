package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hostsim"
	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/internal/modelbundle"
)

// recordedHostLog leaves in dir a robot's host sample log of n samples, as
// trustd does while it learns, and returns its path.
func recordedHostLog(t *testing.T, dir string, n int) string {
	t.Helper()
	l, err := host.OpenLearner(host.LearnOptions{Dir: dir, Samples: max(n, host.MinLearnSamples)})
	if err != nil {
		t.Fatal(err)
	}
	m := &hostsim.Machine{Seed: 3}
	t0 := time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)
	for i := range n {
		l.Add(m.Sample(t0.Add(time.Duration(i) * time.Second)))
	}
	l.Close()
	return filepath.Join(dir, "samples.log")
}

// hostStore is the store trustd keeps pushed host bundles in, trusting
// the keys in keys.
func hostStore(t *testing.T, keys string) *firmware.Store {
	t.Helper()
	ts, err := firmware.LoadTrustStore(keys)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := firmware.OpenDirFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	st, err := firmware.NewStore(fsys, firmware.Options{Trust: ts, Kind: firmware.KindHost, Loader: modelbundle.HostLoader()})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestTrainHostWritesABundle: train --host on a recorded log writes a host
// bundle; signed with --key (or later with bundle sign) a robot's host
// store installs it and runs the trained model; unsigned it is refused;
// inspect and verify see a host bundle.
func TestTrainHostWritesABundle(t *testing.T) {
	dir := t.TempDir()
	log := recordedHostLog(t, dir, 400)
	if code, out, errb := trustctl(t, "bundle", "keygen", "--out", filepath.Join(dir, "fleet")); code != 0 {
		t.Fatalf("keygen: %d %s %s", code, out, errb)
	}
	pub := filepath.Join(dir, "fleet.pub")

	signed := filepath.Join(dir, "host.bundle")
	code, out, errb := trustctl(t, "train", "--host", "--in", log, "--out", signed, "--id", "host-fleet", "--version", "2", "--key", filepath.Join(dir, "fleet.key"))
	if code != 0 {
		t.Fatalf("train --host: exit %d: %s", code, errb)
	}
	if !strings.Contains(out, "400 samples") || !strings.Contains(out, "signed by fleet") {
		t.Errorf("stdout %q", out)
	}
	data := readFile(t, signed)
	a, err := hostStore(t, pub).Install(context.Background(), data)
	if err != nil {
		t.Fatalf("the robot's host store refused the bundle: %v", err)
	}
	m, err := modelbundle.HostModelOf(a)
	if err != nil || a.Bundle.ModelID != "host-fleet" || a.Bundle.Version != 2 || m.Fits(host.Names()) != nil || m.Warn < 1 {
		t.Fatalf("installed %q v%d, model %v, err %v", a.Bundle.ModelID, a.Bundle.Version, m, err)
	}

	// Unsigned: refused by the robot until signed with bundle sign.
	unsigned := filepath.Join(dir, "unsigned.bundle")
	if code, _, errb := trustctl(t, "train", "--host", "--in", log, "--out", unsigned); code != 0 {
		t.Fatalf("unsigned train --host: %s", errb)
	}
	if _, err := hostStore(t, pub).Install(context.Background(), readFile(t, unsigned)); !errors.Is(err, firmware.ErrUnsigned) {
		t.Fatalf("unsigned host bundle: %v", err)
	}
	if code, _, errb := trustctl(t, "bundle", "sign", "--key", filepath.Join(dir, "fleet.key"), "--in", unsigned, "--out", unsigned); code != 0 {
		t.Fatal(errb)
	}
	if _, err := hostStore(t, pub).Install(context.Background(), readFile(t, unsigned)); err != nil {
		t.Fatalf("host bundle signed with bundle sign: %v", err)
	}

	// verify and inspect know a host bundle.
	if code, out, errb := trustctl(t, "bundle", "verify", "--pub", pub, "--sensor", "host", signed); code != 0 || !strings.Contains(out, "for host") {
		t.Errorf("verify --sensor host: %d %q %q", code, out, errb)
	}
	if code, _, errb := trustctl(t, "bundle", "verify", "--pub", pub, "--sensor", "lidar", signed); code == 0 || !strings.Contains(errb, "wrong_sensor") {
		t.Errorf("verify --sensor lidar of a host bundle: %d %q", code, errb)
	}
	code, out, errb = trustctl(t, "inspect", "--pub", pub, signed)
	if code != 0 {
		t.Fatalf("inspect: %d %s", code, errb)
	}
	for _, want := range []string{"kind           host", "host-fleet, version 2", strings.Join(host.Names(), ", "), "WARN above", "ERROR above", "400 samples", "probes         4, all reproduced", "verified"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = trustctl(t, "inspect", "--json", signed)
	var rep hostInspectReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Kind != "host" || len(rep.Features) != len(host.Names()) || rep.HealthWarn != m.Warn || rep.HealthError != m.Error {
		t.Errorf("inspect --json: %d %+v", code, rep)
	}
}

func TestTrainHostRefusesUnfitLogs(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "host.bundle")
	// A log recorded with another feature set (an older build) is refused.
	old, err := host.OpenSampleLog(filepath.Join(dir, "old.log"), len(host.Names())-2, 200)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)
	for i := range 200 {
		old.Append(t0.Add(time.Duration(i)*time.Second), make([]float64, len(host.Names())-2))
	}
	old.Close()
	if code, _, errb := trustctl(t, "train", "--host", "--in", filepath.Join(dir, "old.log"), "--out", out); code == 0 || !strings.Contains(errb, "host features") {
		t.Errorf("a log of another feature set: exit %d, %q", code, errb)
	}
	// A missing log and too short a log are refused.
	if code, _, _ := trustctl(t, "train", "--host", "--in", filepath.Join(dir, "nope.log"), "--out", out); code == 0 {
		t.Error("missing log accepted")
	}
	short := recordedHostLog(t, t.TempDir(), host.MinLearnSamples/2)
	if code, _, errb := trustctl(t, "train", "--host", "--in", short, "--out", out); code == 0 || !strings.Contains(errb, "training needs at least") {
		t.Errorf("a short log: exit %d %q", code, errb)
	}
	if code, _, errb := trustctl(t, "train", "--host", "--in", short, "--out", out, "--version", "0"); code == 0 || !strings.Contains(errb, "--version") {
		t.Errorf("--version 0: exit %d %q", code, errb)
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
