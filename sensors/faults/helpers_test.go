package faults

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// simFrames caches a few simulated frames shared by the tests (read-only).
type simFrames struct {
	scans  []*sensors.Scan  // full revolutions
	small  []*sensors.Scan  // the first 4,000 cells (250 columns) of each
	images []*sensors.Image // 96×72
}

var (
	simOnce sync.Once
	simData simFrames
)

func testFrames(t testing.TB) simFrames {
	t.Helper()
	simOnce.Do(func() {
		w, err := sim.NewWorld(sim.WorldOptions{Seed: 3})
		if err != nil {
			panic(err)
		}
		l, _ := sim.NewLidar(w, sim.LidarOptions{Seed: 3})
		c, _ := sim.NewCamera(w, sim.CameraOptions{Seed: 3, Width: 96, Height: 72})
		for i := uint64(0); i < 3; i++ {
			s := l.Scan(i * 5)
			simData.scans = append(simData.scans, s)
			small := *s
			small.Points = s.Points[:4000:4000]
			simData.small = append(simData.small, &small)
			simData.images = append(simData.images, c.Image(i*5))
		}
	})
	return simData
}

func hashFrame(f sensors.Frame) string {
	h := sha256.New()
	hd := f.Head()
	fmt.Fprintf(h, "%s|%d|%d|%d|", hd.Sensor, hd.Seq, hd.Stamp.UnixNano(), hd.Received.UnixNano())
	switch v := f.(type) {
	case *sensors.Scan:
		b := make([]byte, 0, 8+4*len(v.RingElevations)+30*len(v.Points))
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
		h.Write(b)
	case *sensors.Image:
		fmt.Fprintf(h, "%dx%d/%d/%d|", v.Width, v.Height, v.Stride, v.Format)
		h.Write(v.Pix)
	case *sensors.Range:
		fmt.Fprintf(h, "%v|%v|%v", v.Distance, v.Strength, v.TempC)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// payloadHash hashes a frame's content without its header.
func payloadHash(f sensors.Frame) string {
	c := cloneFrame(f)
	*c.Head() = sensors.Header{}
	return hashFrame(c)
}

func mustNew(t testing.TB, kind sensors.Kind, name string, sev int, seed uint64) Injector {
	t.Helper()
	inj, err := New(kind, Config{Fault: name, Severity: sev, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return inj
}

// one applies a per-frame fault to a single frame.
func one(t testing.TB, kind sensors.Kind, name string, sev int, seed uint64, f sensors.Frame) sensors.Frame {
	t.Helper()
	out := mustNew(t, kind, name, sev, seed).Inject(f)
	if len(out) != 1 {
		t.Fatalf("%s: %d frames out for one in", name, len(out))
	}
	return out[0]
}

// constImage is a w×h Gray8 image of value v.
func constImage(w, h int, v byte) *sensors.Image {
	im := &sensors.Image{Width: w, Height: h, Stride: w, Format: sensors.Gray8, Pix: make([]byte, w*h)}
	for i := range im.Pix {
		im.Pix[i] = v
	}
	return im
}

// rangeFrames returns n range readings stamped every period.
func rangeFrames(n int, period time.Duration) []sensors.Frame {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]sensors.Frame, n)
	for i := range out {
		out[i] = &sensors.Range{Header: sensors.Header{Sensor: "r0", Seq: uint64(i + 1), Stamp: t0.Add(time.Duration(i) * period)}, Distance: float32(i)}
	}
	return out
}

func meanStd(xs []float64) (float64, float64) {
	var s, ss float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)))
}

func timeStep(i int) time.Duration { return time.Duration(i) * 100 * time.Millisecond }
