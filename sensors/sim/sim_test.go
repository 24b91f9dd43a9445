package sim

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

var update = flag.Bool("update", false, "rewrite the golden hashes of testdata/golden.txt")

func newTestSensors(t testing.TB, seed uint64) (*Lidar, *Camera) {
	t.Helper()
	w, err := NewWorld(WorldOptions{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLidar(w, LidarOptions{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCamera(w, CameraOptions{Seed: seed, Width: 160, Height: 120})
	if err != nil {
		t.Fatal(err)
	}
	return l, c
}

// hashFrame is a SHA-256 over every field of a frame that a sensor delivers.
func hashFrame(f sensors.Frame) string {
	h := sha256.New()
	hd := f.Head()
	fmt.Fprintf(h, "%s|%d|%d|%d|", hd.Sensor, hd.Seq, hd.Stamp.UnixNano(), hd.Received.UnixNano())
	var b []byte
	switch v := f.(type) {
	case *sensors.Scan:
		b = binary.LittleEndian.AppendUint32(b, uint32(v.Rings))
		for _, e := range v.RingElevations {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(e))
		}
		for _, p := range v.Points {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.X))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Y))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Z))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Intensity))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Range))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Azimuth))
			b = binary.LittleEndian.AppendUint16(b, p.Ring)
			b = binary.LittleEndian.AppendUint32(b, uint32(p.Offset))
		}
	case *sensors.Image:
		fmt.Fprintf(h, "%dx%d/%d/%d|", v.Width, v.Height, v.Stride, v.Format)
		b = v.Pix
	}
	h.Write(b)
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestGolden pins the exact bytes of a few frames per seed. The same file
// holds for amd64, arm64 and 32-bit arm (checked under qemu); regenerate
// with go test -run Golden -args -update after an intended change.
func TestGolden(t *testing.T) {
	var lines []string
	for _, seed := range []uint64{1, 2} {
		l, c := newTestSensors(t, seed)
		for _, i := range []uint64{0, 57} {
			lines = append(lines, fmt.Sprintf("seed=%d lidar frame=%d %s", seed, i, hashFrame(l.Scan(i))))
			lines = append(lines, fmt.Sprintf("seed=%d camera frame=%d %s", seed, i, hashFrame(c.Image(i))))
		}
	}
	path := filepath.Join("testdata", "golden.txt")
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wl := strings.Split(strings.TrimSpace(string(want)), "\n")
	for i, line := range lines {
		if i >= len(wl) || wl[i] != line {
			t.Errorf("golden mismatch:\n got %s\nwant %s", line, at(wl, i))
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(missing)"
}

func TestDeterministicAndSeedSensitive(t *testing.T) {
	l1, c1 := newTestSensors(t, 5)
	l2, c2 := newTestSensors(t, 5)
	l3, c3 := newTestSensors(t, 6)
	for _, i := range []uint64{3, 40} {
		if hashFrame(l1.Scan(i)) != hashFrame(l2.Scan(i)) {
			t.Errorf("lidar frame %d differs between two runs with the same seed", i)
		}
		if hashFrame(c1.Image(i)) != hashFrame(c2.Image(i)) {
			t.Errorf("camera frame %d differs between two runs with the same seed", i)
		}
		if hashFrame(l1.Scan(i)) == hashFrame(l3.Scan(i)) || hashFrame(c1.Image(i)) == hashFrame(c3.Image(i)) {
			t.Errorf("frame %d identical for seeds 5 and 6", i)
		}
	}
	if hashFrame(l1.Scan(3)) == hashFrame(l1.Scan(4)) {
		t.Error("consecutive scans are identical")
	}
}

func TestLidarGeometry(t *testing.T) {
	l, _ := newTestSensors(t, 1)
	s := l.Scan(10)
	if len(s.Points) != 16*1800 {
		t.Fatalf("got %d cells, want 16×1800", len(s.Points))
	}
	if s.Rings != 16 || len(s.RingElevations) != 16 {
		t.Fatalf("rings %d, elevations %d", s.Rings, len(s.RingElevations))
	}
	wantDeg := []float64{-15, 1, -13, 3, -11, 5, -9, 7, -7, 9, -5, 11, -3, 13, -1, 15}
	for i, e := range s.RingElevations {
		if math.Abs(float64(e)*180/math.Pi-wantDeg[i]) > 1e-4 {
			t.Errorf("ring %d elevation %v°, want %v°", i, float64(e)*180/math.Pi, wantDeg[i])
		}
	}
	returns, ground0 := 0, 0
	for k, p := range s.Points {
		if int(p.Ring) != k%16 {
			t.Fatalf("point %d ring %d, want %d", k, p.Ring, k%16)
		}
		if wantAz := 2 * math.Pi * float64(k/16) / 1800; math.Abs(float64(p.Azimuth)-wantAz) > 1e-5 {
			t.Fatalf("point %d azimuth %v, want %v", k, p.Azimuth, wantAz)
		}
		if p.Range == 0 {
			continue
		}
		returns++
		if p.Range > 100 || p.Range < 0.5 || p.Intensity < 0 || p.Intensity > 1 {
			t.Fatalf("point %d out of spec: range %v intensity %v", k, p.Range, p.Intensity)
		}
		r := math.Sqrt(float64(p.X*p.X + p.Y*p.Y + p.Z*p.Z))
		if math.Abs(r-float64(p.Range)) > 1e-3 {
			t.Fatalf("point %d: |xyz| = %v, Range %v", k, r, p.Range)
		}
		el := math.Asin(float64(p.Z)/r) * 180 / math.Pi
		if math.Abs(el-wantDeg[p.Ring]) > 0.01 {
			t.Fatalf("point %d ring %d at elevation %v°", k, p.Ring, el)
		}
		// ring 0 (−15°) from 1.8 m sees flat ground at 1.8/sin 15° = 6.95 m
		if p.Ring == 0 && math.Abs(float64(p.Range)-1.8/math.Sin(15*math.Pi/180)) < 0.1 {
			ground0++
		}
	}
	t.Logf("%d returns of %d cells, %d ring-0 ground hits", returns, len(s.Points), ground0)
	if returns < 8000 || returns == len(s.Points) {
		t.Errorf("%d returns: want a populated scan with no-return cells", returns)
	}
	if ground0 < 900 {
		t.Errorf("only %d of 1800 ring-0 beams hit the ground at 6.95 m", ground0)
	}
	if last := s.Points[len(s.Points)-1].Offset; last < 99000 || last > 100100 {
		t.Errorf("last firing offset %d µs, want about 100 ms", last)
	}
}

func TestLidarDropNoReturn(t *testing.T) {
	w, _ := NewWorld(WorldOptions{})
	l, err := NewLidar(w, LidarOptions{DropNoReturn: true})
	if err != nil {
		t.Fatal(err)
	}
	s := l.Scan(0)
	if s.Returns() != len(s.Points) || len(s.Points) == 0 {
		t.Errorf("%d returns in %d points", s.Returns(), len(s.Points))
	}
}

func TestCameraImage(t *testing.T) {
	_, c := newTestSensors(t, 1)
	im := c.Image(30)
	if im.Width != 160 || im.Height != 120 || len(im.Pix) != 160*120 || im.Format != sensors.Gray8 {
		t.Fatalf("bad geometry %dx%d len %d", im.Width, im.Height, len(im.Pix))
	}
	var hist [256]int
	var top, bottom float64
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			v := im.Pix[y*im.Stride+x]
			hist[v]++
			if y < 10 {
				top += float64(v)
			}
			if y >= im.Height-10 {
				bottom += float64(v)
			}
		}
	}
	distinct := 0
	for _, n := range hist {
		if n > 0 {
			distinct++
		}
	}
	if distinct < 40 {
		t.Errorf("only %d distinct grey levels: no texture or noise", distinct)
	}
	if top <= bottom {
		t.Errorf("sky rows (mean %.0f) not brighter than ground rows (mean %.0f)", top/1600, bottom/1600)
	}
}

func TestExposureBrightens(t *testing.T) {
	w, _ := NewWorld(WorldOptions{})
	dim, _ := NewCamera(w, CameraOptions{Width: 64, Height: 48, Exposure: 0.5})
	bright, _ := NewCamera(w, CameraOptions{Width: 64, Height: 48, Exposure: 1.5})
	mean := func(im *sensors.Image) float64 {
		s := 0
		for _, v := range im.Pix {
			s += int(v)
		}
		return float64(s) / float64(len(im.Pix))
	}
	if a, b := mean(dim.Image(5)), mean(bright.Image(5)); a+20 > b {
		t.Errorf("exposure 0.5 mean %.1f, 1.5 mean %.1f", a, b)
	}
}

func TestOptionsValidated(t *testing.T) {
	w, err := NewWorld(WorldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []WorldOptions{{Size: 10}, {RobotSpeed: -1}, {Boxes: 100000}, {Size: math.NaN()}} {
		if _, err := NewWorld(o); err == nil {
			t.Errorf("NewWorld(%+v) accepted", o)
		}
	}
	for _, o := range []LidarOptions{{Columns: -1}, {MaxRange: -5}, {Period: time.Microsecond}, {Height: 100}} {
		if _, err := NewLidar(w, o); err == nil {
			t.Errorf("NewLidar(%+v) accepted", o)
		}
	}
	for _, o := range []CameraOptions{{Width: 2}, {HFOV: 179}, {Exposure: -1}, {Period: time.Nanosecond}} {
		if _, err := NewCamera(w, o); err == nil {
			t.Errorf("NewCamera(%+v) accepted", o)
		}
	}
	if _, err := NewSource(w2lidar(t, w), SourceOptions{Pacing: 9}); err == nil {
		t.Error("NewSource accepted pacing 9")
	}
}

func w2lidar(t *testing.T, w *World) *Lidar {
	l, err := NewLidar(w, LidarOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestEmptyWorld(t *testing.T) {
	w, err := NewWorld(WorldOptions{Walls: -1, Boxes: -1, Poles: -1, Trees: -1, Bushes: -1, People: -1, Vehicles: -1})
	if err != nil {
		t.Fatal(err)
	}
	l := w2lidar(t, w)
	s := l.Scan(0)
	for _, p := range s.Points {
		if p.Range > 0 && math.Abs(float64(p.Z)+1.8) > 0.15 {
			t.Fatalf("return off the ground plane in an empty world: %+v", p)
		}
		if p.Range > 0 && s.RingElevations[p.Ring] > 0 {
			t.Fatalf("upward ring %d returned in an empty world", p.Ring)
		}
	}
}

func TestSourceConformance(t *testing.T) {
	l, c := newTestSensors(t, 1)
	for _, g := range []Generator{l, c} {
		t.Run(g.Info().Name, func(t *testing.T) {
			sensortest.Run(t, func(t *testing.T) sensors.Source {
				s, err := NewSource(g, SourceOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

func TestSourceStampsAndStop(t *testing.T) {
	_, c := newTestSensors(t, 1)
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := NewSource(c, SourceOptions{Start: start, Frames: 5})
	if err != nil {
		t.Fatal(err)
	}
	var got []sensors.Frame
	err = s.Run(context.Background(), func(f sensors.Frame) { got = append(got, f) })
	if !errors.Is(err, sensors.ErrNoData) {
		t.Fatalf("Run = %v, want ErrNoData after 5 frames", err)
	}
	if len(got) != 5 {
		t.Fatalf("%d frames", len(got))
	}
	for i, f := range got {
		h := f.Head()
		if h.Seq != uint64(i+1) || !h.Stamp.Equal(start.Add(time.Duration(i)*(time.Second/15))) {
			t.Errorf("frame %d: seq %d stamp %v", i, h.Seq, h.Stamp)
		}
		if hashFrame(f) == "" || !h.Received.After(h.Stamp) {
			t.Errorf("frame %d received %v before stamp %v", i, h.Received, h.Stamp)
		}
	}
	if s.Counters().Frames != 5 {
		t.Errorf("counters %+v", s.Counters())
	}
}

func TestSourceRealTimePacing(t *testing.T) {
	w, _ := NewWorld(WorldOptions{})
	c, _ := NewCamera(w, CameraOptions{Width: 16, Height: 12, Period: 20 * time.Millisecond})
	s, _ := NewSource(c, SourceOptions{Pacing: RealTime, Frames: 6})
	t0 := time.Now()
	var stamps []time.Time
	_ = s.Run(context.Background(), func(f sensors.Frame) { stamps = append(stamps, f.Head().Stamp) })
	if el := time.Since(t0); el < 100*time.Millisecond {
		t.Errorf("6 frames at 20 ms took %v, want ≥ 100 ms when paced", el)
	}
	if len(stamps) != 6 || stamps[5].Sub(stamps[0]) != 100*time.Millisecond {
		t.Errorf("stamps %v", stamps)
	}
	ctx, cancel := context.WithCancel(context.Background())
	slow, _ := NewSource(c, SourceOptions{Pacing: RealTime})
	done := make(chan error, 1)
	go func() { done <- slow.Run(ctx, func(sensors.Frame) {}) }()
	time.Sleep(30 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel = %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}
