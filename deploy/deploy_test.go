package deploy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/sensors/drivers"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
	"github.com/sensortrust/trustagent/transport/mqtt"
)

// need returns the path of tool (from Debian package pkg), skipping the
// test when it is missing outside CI and failing it under CI=true.
func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI (Debian package %s)", tool, pkg)
		}
		t.Skipf("%s not installed", tool)
	}
	return p
}

// standInUnit writes the unit with ExecStart pointing at a stand-in binary
// (systemd-analyze checks that it exists) and returns its path.
func standInUnit(t *testing.T) string {
	t.Helper()
	unit, err := os.ReadFile("trustd.service")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "trustd")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(unit), "/usr/bin/trustd", bin)
	path := filepath.Join(dir, "trustd.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUnitVerifies(t *testing.T) {
	analyze := need(t, "systemd-analyze", "systemd")
	// The unit checked here is the one the package installs.
	nfpm, err := os.ReadFile("nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(nfpm), "- src: deploy/trustd.service\n    dst: /lib/systemd/system/trustd.service\n") {
		t.Error("nfpm.yaml does not install deploy/trustd.service as /lib/systemd/system/trustd.service")
	}
	out, err := exec.Command(analyze, "verify", standInUnit(t)).CombinedOutput()
	// Lines about other units on this machine are not ours.
	var ours []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "trustd.service") {
			ours = append(ours, l)
		}
	}
	if err != nil || len(ours) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, strings.Join(ours, "\n"))
	}
}

// maxExposure is the highest "systemd-analyze security" exposure the unit
// may have (0 = fully sandboxed, 10 = not at all). What remains is what
// trustd needs: the network, its devices by group, /proc/stat and friends
// for the host checks.
const maxExposure = 1.5

// TestUnitExposure scores the unit's sandbox offline, as systemd would.
func TestUnitExposure(t *testing.T) {
	analyze := need(t, "systemd-analyze", "systemd")
	out, err := exec.Command(analyze, "security", "--offline=true", standInUnit(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	_, after, ok := strings.Cut(string(out), "Overall exposure level for trustd.service: ")
	var score float64
	if ok {
		_, err = fmt.Sscanf(after, "%g", &score)
	}
	if !ok || err != nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	if score > maxExposure {
		var worse []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "✗") {
				worse = append(worse, strings.Join(strings.Fields(l), " "))
			}
		}
		t.Errorf("exposure %.1f > %.1f; open:\n%s", score, maxExposure, strings.Join(worse, "\n"))
	}
}

func TestUnitHardening(t *testing.T) {
	unit, err := os.ReadFile("trustd.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Type=notify", "WatchdogSec=", "Restart=always", "DynamicUser=yes",
		"SupplementaryGroups=i2c spi gpio dialout video", "StateDirectory=trustd",
		"ConfigurationDirectory=trustd", "ProtectSystem=strict", "DevicePolicy=closed",
		"DeviceAllow=char-i2c", "DeviceAllow=char-spidev", "DeviceAllow=char-gpiochip",
		"DeviceAllow=char-video4linux", "DeviceAllow=char-ttyUSB", "NoNewPrivileges=yes",
		"CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "MemoryMax=",
		"ProtectProc=invisible", "SystemCallFilter=~@privileged @resources",
	} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q", strings.TrimSpace(want))
		}
	}
	for bad, why := range map[string]string{
		"PrivateDevices=yes": "hides the sensors",
		"ProcSubset=pid":     "hides /proc/stat, /proc/loadavg and /proc/meminfo from the host checks",
		"PrivateNetwork=yes": "cuts trustd off its broker",
	} {
		for _, l := range strings.Split(string(unit), "\n") {
			if strings.TrimSpace(l) == bad {
				t.Errorf("%s %s", bad, why)
			}
		}
	}
}

func registry(t *testing.T) *sensorreg.Registry {
	t.Helper()
	reg, err := drivers.Registry()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestShippedConfigsAreValid loads the packaged configurations the way
// trustd --check-config does.
func TestShippedConfigsAreValid(t *testing.T) {
	reg := registry(t)
	for _, f := range []string{"trustd.yaml", "run.yaml"} {
		cfg, err := config.Load(f, reg)
		if err == nil {
			err = cfg.Check()
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestDocumentedSnippetsAreValid loads every YAML block of the README and
// docs/ through the loader it is written for, so that what users copy
// works: a trustd configuration (the default) through config.Parse and
// Check, a block marked <!-- yaml: scenario --> through the fault scenario
// parser, one marked <!-- yaml: mqtt-client --> as the MQTT client's own
// configuration, strictly. Files a snippet names (a recording folder, TLS
// files) need not exist on this machine.
func TestDocumentedSnippetsAreValid(t *testing.T) {
	reg := registry(t)
	files, _ := filepath.Glob("../docs/*.md")
	files = append(files, "../README.md")
	n := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blocks := strings.Split(string(b), "```yaml\n")
		for i, blk := range blocks[1:] {
			snippet, _, _ := strings.Cut(blk, "```")
			name := fmt.Sprintf("%s#%d", filepath.Base(f), i+1)
			loader := "trustd"
			if before := strings.TrimRight(blocks[i], "\n"); strings.HasSuffix(before, "-->") {
				if j := strings.LastIndex(before, "<!-- yaml: "); j >= 0 {
					loader = strings.TrimSuffix(before[j+len("<!-- yaml: "):], " -->")
				}
			}
			n[loader]++
			switch loader {
			case "trustd":
				cfg, err := config.Parse(name, []byte(snippet), reg)
				if err == nil {
					if err = cfg.Check(); errors.Is(err, fs.ErrNotExist) {
						err = nil
					}
				}
				if err != nil {
					t.Errorf("%v\n%s", err, snippet)
				}
			case "scenario":
				if _, err := faults.ParseScenario([]byte(snippet)); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			case "mqtt-client":
				var c struct {
					MQTT mqtt.Config `yaml:"mqtt"`
				}
				dec := yaml.NewDecoder(strings.NewReader(snippet))
				dec.KnownFields(true)
				if err := dec.Decode(&c); err != nil {
					t.Errorf("%s: %v", name, err)
				} else if c.MQTT.Broker == "" {
					t.Errorf("%s: no broker decoded", name)
				}
			default:
				t.Errorf("%s: unknown loader %q", name, loader)
			}
		}
	}
	if n["trustd"] < 5 || n["scenario"] < 1 || n["mqtt-client"] < 1 {
		t.Errorf("documented YAML blocks by loader: %v", n)
	}
}

// TestPostinstCreatesTheUnitsGroups runs the package's postinst with
// stand-ins for getent, groupadd and systemctl: every group the unit names
// that a stock Debian lacks is created, so systemd can start the unit.
func TestPostinstCreatesTheUnitsGroups(t *testing.T) {
	unit, err := os.ReadFile("trustd.service")
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, l := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(l, "SupplementaryGroups="); ok {
			groups = strings.Fields(v)
		}
	}
	if len(groups) == 0 {
		t.Fatal("the unit names no SupplementaryGroups")
	}
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	stub := func(name, body string) {
		os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\necho "+name+" \"$@\" >> "+calls+"\n"+body), 0o755)
	}
	base := map[string]bool{"dialout": true, "video": true} // in Debian's base-passwd
	stub("getent", `case "$2" in dialout|video) exit 0;; esac; exit 2`+"\n")
	stub("groupadd", "exit 0\n")
	stub("systemctl", "exit 0\n")
	cmd := exec.Command("sh", "postinst.sh", "configure")
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("postinst: %v\n%s", err, out)
	}
	log, _ := os.ReadFile(calls)
	for _, g := range groups {
		if !base[g] && !strings.Contains(string(log), "groupadd --system "+g+"\n") {
			t.Errorf("postinst does not create group %s that the unit needs\n%s", g, log)
		}
	}
	if strings.Contains(string(log), "groupadd --system dialout") {
		t.Errorf("postinst re-creates an existing group\n%s", log)
	}
	nfpm, _ := os.ReadFile("nfpm.yaml")
	if !strings.Contains(string(nfpm), "recommends:\n  - mosquitto") {
		t.Error("the package does not recommend mosquitto, the broker its configuration points at")
	}
}

// TestUnitCommandsAreInstalled: every program the unit runs is the
// package's own or comes from a package it depends on, so that the unit
// works on a minimal image (systemctl reload once failed there: /bin/kill
// was missing).
func TestUnitCommandsAreInstalled(t *testing.T) {
	dpkg := need(t, "dpkg", "dpkg")
	unit, err := os.ReadFile("trustd.service")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile("nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type content struct {
		Dst string `yaml:"dst"`
	}
	var pkg struct {
		Depends  []string  `yaml:"depends"`
		Contents []content `yaml:"contents"`
	}
	if err := yaml.Unmarshal(spec, &pkg); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(unit), "\n") {
		key, val, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(key, "Exec") {
			continue
		}
		prog := strings.Fields(strings.TrimLeft(val, "-@:+!"))[0]
		n++
		if slices.ContainsFunc(pkg.Contents, func(c content) bool { return c.Dst == prog }) {
			continue
		}
		out, err := exec.Command(dpkg, "-S", prog).Output()
		if err != nil {
			t.Errorf("%s runs %s, which no installed package provides", key, prog)
			continue
		}
		owner, _, _ := strings.Cut(string(out), ":")
		if !slices.Contains(pkg.Depends, owner) {
			t.Errorf("%s runs %s from package %s, which the package does not depend on (depends: %v)", key, prog, owner, pkg.Depends)
		}
	}
	if n < 2 {
		t.Errorf("found %d Exec lines in the unit", n)
	}
}
