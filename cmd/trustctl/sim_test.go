package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// runCmd runs trustctl with args and returns exit code, stdout, stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func readLabels(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "sensor,frame,file,stamp,fault,severity,altered" {
		t.Fatalf("labels header %v", rows[0])
	}
	return rows[1:]
}

// dirHash hashes every file of a directory tree by name and content.
func dirHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	var names []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, n)
		fmt.Fprintf(h, "%s %d\n", rel, len(b))
		h.Write(b)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

const testScenario = `
duration: 2s
events:
  - {at: 500ms, for: 500ms, sensor: lidar0, fault: beam_missing, severity: 3}
  - {at: 1s, for: 500ms, sensor: cam0, fault: frozen, severity: 2}
  - {at: 1500ms, for: 200ms, sensor: cam0, fault: disconnect, severity: 1}
`

func TestSimWritesRecordingsAndLabels(t *testing.T) {
	tmp := t.TempDir()
	scen := filepath.Join(tmp, "s.yaml")
	if err := os.WriteFile(scen, []byte(testScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out")
	code, stdout, stderr := runCmd(t, "sim", "--scenario", scen, "--out", out, "--width", "64", "--height", "48", "--fps", "10")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	lidar, err := recorded.OpenDir(filepath.Join(out, "lidar0"), recorded.DirOptions{Model: recorded.ModelVLP16})
	if err != nil {
		t.Fatal(err)
	}
	cam, err := recorded.OpenDir(filepath.Join(out, "cam0"))
	if err != nil {
		t.Fatal(err)
	}
	// 2 s: 20 revolutions; 20 camera frames minus 2 lost to the 200 ms disconnect
	if lidar.Len() != 20 || cam.Len() != 18 {
		t.Fatalf("lidar %d frames, camera %d; want 20 and 18", lidar.Len(), cam.Len())
	}
	rows := readLabels(t, filepath.Join(out, "labels.csv"))
	if len(rows) != 38 {
		t.Fatalf("%d label rows, want 38", len(rows))
	}
	var frozen []string
	for _, r := range rows {
		sensor, frame, file, fault := r[0], r[1], r[2], r[4]
		if _, err := os.Stat(filepath.Join(out, file)); err != nil {
			t.Errorf("label row %v names a missing file", r)
		}
		i := 0
		fmt.Sscan(frame, &i)
		switch {
		case sensor == "lidar0" && i >= 5 && i < 10:
			if fault != "beam_missing" || r[5] != "3" {
				t.Errorf("lidar frame %d labelled %v", i, r)
			}
			f, err := lidar.Read(i)
			if err != nil {
				t.Fatal(err)
			}
			rings := map[uint16]bool{}
			for _, p := range f.(*sensors.Scan).Points {
				rings[p.Ring] = true
			}
			if len(rings) != 7 {
				t.Errorf("lidar frame %d has %d rings after beam_missing 3, want 7", i, len(rings))
			}
		case sensor == "cam0" && i >= 10 && i < 15:
			if fault != "frozen" {
				t.Errorf("camera frame %d labelled %v", i, r)
			}
			if i > 10 {
				frozen = append(frozen, file)
			}
		default:
			if fault != "none" || r[6] != "false" {
				t.Errorf("clean frame labelled %v", r)
			}
		}
	}
	first, _ := os.ReadFile(filepath.Join(out, "cam0/000010.png"))
	for _, f := range frozen {
		if b, _ := os.ReadFile(filepath.Join(out, f)); !bytes.Equal(b, first) {
			t.Errorf("%s is not a byte-identical frozen frame", f)
		}
	}
	if cam.Stamp(15).Sub(cam.Stamp(14)) <= cam.Stamp(14).Sub(cam.Stamp(13)) {
		t.Error("no stamp gap where the camera was disconnected")
	}

	// same seed → identical bytes; refuses to overwrite
	again := filepath.Join(tmp, "again")
	if code, _, stderr := runCmd(t, "sim", "--scenario", scen, "--out", again, "--width", "64", "--height", "48", "--fps", "10"); code != 0 {
		t.Fatal(stderr)
	}
	if dirHash(t, out) != dirHash(t, again) {
		t.Error("two runs with the same seed wrote different bytes")
	}
	if code, _, _ := runCmd(t, "sim", "--scenario", scen, "--out", out); code == 0 {
		t.Error("sim overwrote an existing recording")
	}
}

func TestSimUsageErrors(t *testing.T) {
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "bad.yaml")
	os.WriteFile(bad, []byte("- at: 1s\n  sensor: cam0\n  fault: smog\n  severity: 1\n"), 0o644)
	for _, args := range [][]string{
		{"sim"},
		{"sim", "--out", tmp, "--lidar", "", "--camera", ""},
		{"sim", "--out", tmp, "--fps", "0"},
		{"sim", "--out", tmp, "--scenario", bad},
		{"sim", "--out", tmp, "extra"},
	} {
		if code, _, stderr := runCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, stderr)
		}
	}
	code, _, stderr := runCmd(t, "sim", "--out", tmp, "--scenario", bad)
	if code != 2 || !strings.Contains(stderr, "line 3") {
		t.Errorf("bad scenario error does not name the line: %s", stderr)
	}
	code, stdout, _ := runCmd(t, "sim", "--print-default")
	if code != 0 || !strings.Contains(stdout, "fault: fog") {
		t.Errorf("--print-default: %d %q", code, stdout)
	}
}
