package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/pcap"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/velodyne/velodynetest"
)

func runConvert(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := cmdConvert(context.Background(), args, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// nonZeroReturns counts channels with a distance in raw VLP-16 payloads.
func nonZeroReturns(payloads [][]byte) int {
	n := 0
	for _, p := range payloads {
		for k := 0; k < 12; k++ {
			for c := 0; c < 32; c++ {
				if o := 100*k + 4 + 3*c; p[o] != 0 || p[o+1] != 0 {
					n++
				}
			}
		}
	}
	return n
}

// dirReturns reads a converted directory back and counts its points.
func dirReturns(t *testing.T, dir string) (frames, points int) {
	t.Helper()
	d, err := recorded.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < d.Len(); i++ {
		f, err := d.Read(i)
		if err != nil {
			t.Fatal(err)
		}
		points += f.(*sensors.Scan).Returns()
	}
	return d.Len(), points
}

func TestConvertMRPTRevolutionPcap(t *testing.T) {
	payloads := velodynetest.MRPTPayloads(t)
	if len(payloads) != 75 {
		t.Fatalf("%d payloads", len(payloads))
	}
	want := nonZeroReturns(payloads)
	dir := t.TempDir()
	in := filepath.Join(dir, "vlp16.pcap")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcap.NewWriter(f, pcap.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddrPort("192.168.1.201:2368")
	dst := netip.MustParseAddrPort("192.168.1.100:2368")
	t0 := time.Date(2016, 4, 19, 17, 24, 21, 0, time.UTC)
	for i, p := range payloads {
		if err := w.WriteUDP(t0.Add(time.Duration(i)*1327*time.Microsecond), src, dst, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "frames")
	msg, err := runConvert(t, "--in", in, "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	t.Log(strings.TrimSpace(msg))
	frames, got := dirReturns(t, out)
	if got != want || want < 22000 {
		t.Errorf("%d frames hold %d returns, the revolution has %d", frames, got, want)
	}
	// The capture wraps 0.9° before its end: a full frame and a sliver.
	if frames != 2 {
		t.Errorf("%d frames, want 2", frames)
	}
	ts, err := os.ReadFile(filepath.Join(out, recorded.TimestampsFile))
	// The first revolution begins 1.327 ms (one packet) before its capture time.
	if err != nil || !strings.HasPrefix(string(ts), "2016-04-19 17:24:20.998672") {
		t.Errorf("timestamps.txt %q: %v", ts, err)
	}
}

func TestConvertEinrideRaw(t *testing.T) {
	raw := velodynetest.EinrideFile(t, "recording.bin")
	dir := t.TempDir()
	in := filepath.Join(dir, "recording.bin")
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	var payloads [][]byte
	for i := 0; i+1206 <= len(raw); i += 1206 {
		payloads = append(payloads, raw[i:i+1206])
	}
	out := filepath.Join(dir, "frames")
	if msg, err := runConvert(t, "--in", in, "--out", out, "--drop-partial"); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	frames, got := dirReturns(t, out)
	if frames != 12 || got >= nonZeroReturns(payloads) || got < 12*15000 {
		t.Errorf("%d full revolutions with %d returns", frames, got)
	}
}

func TestConvertImagesAndPCD(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "cam")
	if err := os.Mkdir(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		im := image.NewRGBA(image.Rect(0, 0, 4, 2))
		for j := 0; j < 8; j++ {
			im.Set(j%4, j/4, color.RGBA{uint8(50 * i), 100, 150, 255})
		}
		var b bytes.Buffer
		if err := png.Encode(&b, im); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(imgs, "img"+string(rune('a'+i))+".png"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(imgs, recorded.TimestampsFile), []byte("10.0\n10.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "gray")
	if msg, err := runConvert(t, "--in", imgs, "--out", out, "--gray"); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	d, err := recorded.OpenDir(out)
	if err != nil {
		t.Fatal(err)
	}
	f, err := d.Read(1)
	if err != nil {
		t.Fatal(err)
	}
	im := f.(*sensors.Image)
	if d.Len() != 2 || im.Format != sensors.Gray8 || !d.Stamp(1).Equal(time.Unix(10, 1e8)) {
		t.Errorf("%d frames, format %v, stamp %v", d.Len(), im.Format, d.Stamp(1))
	}

	pcd := filepath.Join(dir, "cloud.pcd")
	body := "FIELDS x y z intensity\nSIZE 4 4 4 4\nTYPE F F F F\nWIDTH 3\nHEIGHT 1\nDATA ascii\n1 2 3 10\n0 0 0 0\n4 5 6 255\n"
	if err := os.WriteFile(pcd, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(dir, "kitti")
	if msg, err := runConvert(t, "--in", pcd, "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	if frames, pts := dirReturns(t, out); frames != 1 || pts != 2 {
		t.Errorf("PCD: %d frames, %d returns (want 1, 2: the origin point is no return)", frames, pts)
	}
}

func TestConvertUsage(t *testing.T) {
	if _, err := runConvert(t, "--in", "x"); err == nil {
		t.Error("missing --out accepted")
	}
	junk := filepath.Join(t.TempDir(), "junk.dat")
	if err := os.WriteFile(junk, []byte("nothing to see"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runConvert(t, "--in", junk, "--out", filepath.Join(t.TempDir(), "o")); err == nil {
		t.Error("junk input accepted")
	}
}
