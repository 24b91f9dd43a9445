package agent

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"github.com/sensortrust/trustagent/sensors"
)

func randomScan(r *rand.Rand, n int) *sensors.Scan {
	s := &sensors.Scan{Rings: 16, Points: make([]sensors.Point, n)}
	for i := range s.Points {
		s.Points[i] = sensors.Point{
			X: r.Float32()*40 - 20, Y: r.Float32()*40 - 20, Z: r.Float32()*4 - 2, Intensity: r.Float32(),
			Range: r.Float32() * 30, Azimuth: r.Float32() * 6, Ring: uint16(i % 16), Offset: int32(i),
		}
	}
	return s
}

// TestScanHashIsXXH64: the scan hash is XXH64 (a library's) of X, Y, Z and
// Intensity of every point as little-endian bytes, at every point count
// up to 9 (the tails of its two-point stripes) and at a scan's size.
func TestScanHashIsXXH64(t *testing.T) {
	var p sensors.Point
	if unsafe.Offsetof(p.X) != 0 || unsafe.Offsetof(p.Y) != 4 || unsafe.Offsetof(p.Z) != 8 || unsafe.Offsetof(p.Intensity) != 12 {
		t.Fatal("sensors.Point no longer starts with X, Y, Z, Intensity: scanHash reads them as two words")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 28800} {
		s := randomScan(r, n)
		buf := make([]byte, 0, 16*n)
		for _, p := range s.Points {
			for _, v := range []float32{p.X, p.Y, p.Z, p.Intensity} {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
		}
		for _, seed := range []uint64{0, 1, 0x9e3779b97f4a7c15} {
			d := xxhash.NewWithSeed(seed)
			d.Write(buf)
			if got, want := scanHash(s.Points, seed), d.Sum64(); got != want {
				t.Fatalf("%d points, seed %#x: scanHash %#x, XXH64 %#x", n, seed, got, want)
			}
		}
	}
}

// TestFrameHashRepeats: an exact repeat of a scan (a copy) is always a
// repeat; a scan with one bit of one point's X, Y, Z or Intensity changed,
// or two points swapped, is not; the other fields of a point are not part
// of the payload compared.
func TestFrameHashRepeats(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7, 1800} {
		base := randomScan(r, n)
		copyOf := func() *sensors.Scan {
			c := *base
			c.Points = append([]sensors.Point(nil), base.Points...)
			return &c
		}
		fh := newFrameHash()
		if fh.repeats(base) {
			t.Fatalf("%d points: the first frame is a repeat", n)
		}
		if !fh.repeats(copyOf()) {
			t.Fatalf("%d points: an exact copy is not a repeat", n)
		}
		for _, i := range []int{0, n / 2, n - 1} {
			for f := range 4 {
				c := copyOf()
				p := &c.Points[i]
				field := []*float32{&p.X, &p.Y, &p.Z, &p.Intensity}[f]
				*field = math.Float32frombits(math.Float32bits(*field) ^ 1<<(i%32))
				fh.forget()
				fh.repeats(base)
				if fh.repeats(c) {
					t.Fatalf("%d points: point %d field %d changed, still a repeat", n, i, f)
				}
			}
			c := copyOf()
			c.Points[i].Range++
			c.Points[i].Offset++
			fh.forget()
			fh.repeats(base)
			if !fh.repeats(c) {
				t.Fatalf("%d points: point %d changed outside X, Y, Z, Intensity, not a repeat", n, i)
			}
		}
		if n > 1 {
			c := copyOf()
			c.Points[0], c.Points[n-1] = c.Points[n-1], c.Points[0]
			fh.forget()
			fh.repeats(base)
			if fh.repeats(c) {
				t.Fatalf("%d points: swapped points, still a repeat", n)
			}
		}
	}
}
