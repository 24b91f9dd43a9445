package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/velodyne"
	"github.com/sensortrust/trustagent/sensors/velodyne/velodynetest"
)

// simRecording writes a short clean simulated recording and returns its
// root directory.
func simRecording(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	clean := filepath.Join(tmp, "clean.yaml")
	if err := os.WriteFile(clean, []byte("duration: 1s\nevents: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "rec")
	if code, _, stderr := runCmd(t, "sim", "--scenario", clean, "--out", out, "--width", "64", "--height", "48", "--fps", "10"); code != 0 {
		t.Fatal(stderr)
	}
	return out
}

func TestInjectOneFault(t *testing.T) {
	rec := simRecording(t)
	tmp := t.TempDir()

	// beam_missing on KITTI: rings are recovered by elevation (VLP-16)
	out := filepath.Join(tmp, "beam")
	if code, _, stderr := runCmd(t, "inject", "--fault", "beam_missing", "--severity", "2", "--seed", "4", "--in", filepath.Join(rec, "lidar0"), "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	d, err := recorded.OpenDir(out, recorded.DirOptions{Model: recorded.ModelVLP16})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 10 {
		t.Fatalf("%d frames", d.Len())
	}
	for i := 0; i < d.Len(); i++ {
		f, err := d.Read(i)
		if err != nil {
			t.Fatal(err)
		}
		rings := map[uint16]bool{}
		for _, p := range f.(*sensors.Scan).Points {
			rings[p.Ring] = true
		}
		if len(rings) != 10 {
			t.Errorf("frame %d: %d rings, want 16 − 6", i, len(rings))
		}
	}
	rows := readLabels(t, filepath.Join(out, "labels.csv"))
	if len(rows) != 10 || rows[3][4] != "beam_missing" || rows[3][5] != "2" || rows[3][2] != "000003.bin" {
		t.Errorf("labels %v", rows)
	}

	// frozen on PNG: repeats are byte-identical files, stamps stay fresh
	out = filepath.Join(tmp, "frozen")
	if code, _, stderr := runCmd(t, "inject", "--fault", "frozen", "--severity", "1", "--in", filepath.Join(rec, "cam0"), "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := os.ReadFile(filepath.Join(out, "000000.png"))
	for i := 1; i <= 5; i++ {
		b, _ := os.ReadFile(filepath.Join(out, "00000"+string(rune('0'+i))+".png"))
		if !bytes.Equal(a, b) {
			t.Errorf("frame %d is not a repeat of frame 0", i)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "000006.png")); bytes.Equal(a, b) {
		t.Error("frame 6 still frozen")
	}
	src, _ := os.ReadFile(filepath.Join(rec, "cam0", "timestamps.txt"))
	dst, _ := os.ReadFile(filepath.Join(out, "timestamps.txt"))
	if !bytes.Equal(src, dst) {
		t.Error("frozen changed the stamps")
	}

	// clock_step shifts the stamps by +6 s
	out = filepath.Join(tmp, "clock")
	if code, _, stderr := runCmd(t, "inject", "--fault", "clock_step", "--severity", "2", "--in", filepath.Join(rec, "cam0"), "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	in, _ := recorded.OpenDir(filepath.Join(rec, "cam0"))
	sh, _ := recorded.OpenDir(out)
	for i := 0; i < in.Len(); i++ {
		if d := sh.Stamp(i).Sub(in.Stamp(i)); d != 6*time.Second {
			t.Errorf("frame %d shifted %v", i, d)
		}
	}
}

func TestInjectScenarioAndErrors(t *testing.T) {
	rec := simRecording(t)
	tmp := t.TempDir()
	scen := filepath.Join(tmp, "s.yaml")
	os.WriteFile(scen, []byte("- {at: 300ms, for: 300ms, sensor: front, fault: black_frame, severity: 3}\n"), 0o644)
	out := filepath.Join(tmp, "o")
	code, _, stderr := runCmd(t, "inject", "--scenario", scen, "--sensor", "front", "--in", filepath.Join(rec, "cam0"), "--out", out)
	if code != 0 {
		t.Fatal(stderr)
	}
	rows := readLabels(t, filepath.Join(out, "labels.csv"))
	for i, r := range rows {
		want := "none"
		if i >= 3 && i < 6 {
			want = "black_frame"
		}
		if r[0] != "front" || r[4] != want {
			t.Errorf("row %d: %v, want fault %s", i, r, want)
		}
	}
	for _, args := range [][]string{
		{"inject", "--in", rec, "--out", out},
		{"inject", "--fault", "fog", "--severity", "9", "--in", filepath.Join(rec, "cam0"), "--out", filepath.Join(tmp, "x")},
		{"inject", "--fault", "shot_noise", "--severity", "1", "--in", filepath.Join(rec, "lidar0"), "--out", filepath.Join(tmp, "y")},
		{"inject", "--fault", "fog", "--scenario", scen, "--in", rec, "--out", out},
	} {
		if code, _, stderr := runCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, stderr)
		}
	}
	code, _, stderr = runCmd(t, "inject", "--fault", "beam_missing", "--severity", "1", "--model=", "--in", filepath.Join(rec, "lidar0"), "--out", filepath.Join(tmp, "norings"))
	if code != 0 || !strings.Contains(stderr, "no ring ids") {
		t.Errorf("beam_missing without rings: exit %d, stderr %q: want a warning", code, stderr)
	}
	if code, stdout, _ := runCmd(t, "inject", "--list"); code != 0 || !strings.Contains(stdout, "rolling_tear") {
		t.Errorf("--list: %d %s", code, stdout)
	}
}

// TestInjectRealVLP16 augments a real VLP-16 recording: the einride
// payloads are assembled into revolutions, written as KITTI and fogged.
func TestInjectRealVLP16(t *testing.T) {
	raw := velodynetest.EinrideFile(t, "recording.bin")
	tmp := t.TempDir()
	path := filepath.Join(tmp, "recording.bin")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := velodyne.NewFileSource(path, velodyne.FileOptions{Name: "vlp", Pacing: velodyne.PaceFast})
	if err != nil {
		t.Fatal(err)
	}
	clean := filepath.Join(tmp, "vlp")
	w, err := recorded.NewDirWriter(clean)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Run(context.Background(), func(f sensors.Frame) {
		if err := w.Write(f); err != nil {
			t.Error(err)
		}
	}); err != nil && !errors.Is(err, sensors.ErrNoData) {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fogged := filepath.Join(tmp, "fog")
	if code, _, stderr := runCmd(t, "inject", "--fault", "fog", "--severity", "3", "--in", clean, "--out", fogged); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := recorded.OpenDir(clean)
	b, _ := recorded.OpenDir(fogged)
	if a.Len() < 5 || a.Len() != b.Len() {
		t.Fatalf("%d clean and %d fogged revolutions", a.Len(), b.Len())
	}
	// an indoor scene (returns up to about 12 m): two-way extinction at MOR
	// 40 m scales a hard return at r metres by exp(−2·ln20·r/40), 0.47 at
	// 5 m; weak far returns fall below the noise floor. Total intensity must
	// drop by more than 20 %.
	sum := func(d *recorded.Dir) (n int, intensity float64) {
		for i := 0; i < d.Len(); i++ {
			f, err := d.Read(i)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range f.(*sensors.Scan).Points {
				n++
				intensity += float64(p.Intensity)
			}
		}
		return n, intensity
	}
	na, ia := sum(a)
	nb, ib := sum(b)
	t.Logf("clean: %d returns, mean intensity %.4f; fog MOR 40 m: %d returns, mean intensity %.4f", na, ia/float64(na), nb, ib/float64(nb))
	if na == 0 || nb >= na || ib > 0.8*ia {
		t.Errorf("fog did not thin and darken the real scans")
	}
}

// TestInjectRealVideo augments real camera frames (OpenCV's vtest.avi,
// Debian opencv-doc, decoded with ffmpeg) with defocus blur.
func TestInjectRealVideo(t *testing.T) {
	const avi = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
	ffmpeg, err := exec.LookPath("ffmpeg")
	_, statErr := os.Stat(avi)
	if err != nil || statErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("needs ffmpeg and opencv-doc: %v %v", err, statErr)
		}
		t.Skipf("needs ffmpeg and opencv-doc: %v %v", err, statErr)
	}
	tmp := t.TempDir()
	clean := filepath.Join(tmp, "cam")
	os.MkdirAll(clean, 0o755)
	cmd := exec.Command(ffmpeg, "-loglevel", "error", "-i", avi, "-frames:v", "4", "-vf", "scale=192:144,format=gray", filepath.Join(clean, "%06d.png"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	out := filepath.Join(tmp, "blur")
	if code, _, stderr := runCmd(t, "inject", "--fault", "defocus_blur", "--severity", "3", "--in", clean, "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := recorded.OpenDir(clean)
	b, _ := recorded.OpenDir(out)
	grad := func(f sensors.Frame) float64 {
		im := f.(*sensors.Image)
		s := 0.0
		for y := 0; y < im.Height; y++ {
			for x := 1; x < im.Width; x++ {
				d := float64(im.GrayAt(x, y)) - float64(im.GrayAt(x-1, y))
				s += d * d
			}
		}
		return s
	}
	for i := 0; i < a.Len(); i++ {
		fa, _ := a.Read(i)
		fb, err := b.Read(i)
		if err != nil {
			t.Fatal(err)
		}
		if ga, gb := grad(fa), grad(fb); gb*4 > ga {
			t.Errorf("frame %d: gradient energy %.0f → %.0f, want a strong blur", i, ga, gb)
		}
	}
}
