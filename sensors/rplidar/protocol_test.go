package rplidar

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"
)

func TestRequest(t *testing.T) {
	if got := Request(CmdScan, nil); !bytes.Equal(got, []byte{0xA5, 0x20}) {
		t.Errorf("SCAN = % x", got)
	}
	// PWM 660 = 0x0294; checksum A5^F0^02^94^02 = C1.
	if got := Request(CmdSetMotorPWM, []byte{0x94, 0x02}); !bytes.Equal(got, []byte{0xA5, 0xF0, 0x02, 0x94, 0x02, 0xC1}) {
		t.Errorf("SET_MOTOR_PWM 660 = % x", got)
	}
}

func TestParseDescriptor(t *testing.T) {
	d, err := ParseDescriptor([]byte{0xA5, 0x5A, 0x05, 0x00, 0x00, 0x40, 0x81})
	if err != nil || d != (Descriptor{Len: 5, Multiple: true, Type: 0x81}) {
		t.Errorf("SCAN descriptor = %+v, %v", d, err)
	}
	d, err = ParseDescriptor([]byte{0xA5, 0x5A, 0x14, 0x00, 0x00, 0x00, 0x04})
	if err != nil || d != (Descriptor{Len: 20, Type: 0x04}) {
		t.Errorf("GET_INFO descriptor = %+v, %v", d, err)
	}
	if _, err := ParseDescriptor([]byte{0xA5, 0x5B, 0, 0, 0, 0, 0}); !errors.Is(err, ErrSync) {
		t.Errorf("bad sync: %v", err)
	}
	if _, err := ParseDescriptor([]byte{0xA5}); !errors.Is(err, ErrShort) {
		t.Errorf("short: %v", err)
	}
	if got := AppendDescriptor(nil, Descriptor{Len: 5, Multiple: true, Type: 0x81}); !bytes.Equal(got, []byte{0xA5, 0x5A, 0x05, 0x00, 0x00, 0x40, 0x81}) {
		t.Errorf("AppendDescriptor = % x", got)
	}
}

func TestParseSample(t *testing.T) {
	// Start, quality 15, 90° (5760/64), 1000 mm (4000/4).
	s, err := ParseSample([]byte{0x3d, 0x01, 0x2d, 0xa0, 0x0f})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Start || s.Quality != 15 || s.AngleDeg() != 90 || s.Metres() != 1 {
		t.Errorf("sample = %+v (%v°, %v m)", s, s.AngleDeg(), s.Metres())
	}
	if math.Abs(float64(s.Azimuth())-math.Pi/2) > 1e-6 {
		t.Errorf("azimuth %v", s.Azimuth())
	}
	if got := AppendSample(nil, s); !bytes.Equal(got, []byte{0x3d, 0x01, 0x2d, 0xa0, 0x0f}) {
		t.Errorf("AppendSample = % x", got)
	}
	for name, b := range map[string][]byte{
		"S and !S both set": {0x3f, 0x01, 0x2d, 0, 0},
		"neither":           {0x3c, 0x01, 0x2d, 0, 0},
		"C clear":           {0x3d, 0x00, 0x2d, 0, 0},
	} {
		if _, err := ParseSample(b); !errors.Is(err, ErrCheckBits) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// 360° exactly is out of range.
	if _, err := ParseSample(AppendSample(nil, Sample{AngleQ6: 360 * 64})); !errors.Is(err, ErrAngle) {
		t.Errorf("360°: %v", err)
	}
}

// revolutions encodes n revolutions of k samples, angles evenly spread,
// distance 1 m + 1 mm per index.
func revolutions(n, k int) []byte {
	var b []byte
	for r := 0; r < n; r++ {
		for i := 0; i < k; i++ {
			b = AppendSample(b, Sample{Start: i == 0, Quality: 63, AngleQ6: uint16(i * 360 * 64 / k), DistQ2: uint16(4 * (1000 + i))})
		}
	}
	return b
}

func decode(chunks ...[]byte) (*SampleDecoder, []Sample) {
	var d SampleDecoder
	var out []Sample
	for _, c := range chunks {
		d.Feed(c, func(s Sample) { out = append(out, s) })
	}
	return &d, out
}

func TestSampleDecoderResync(t *testing.T) {
	in := revolutions(1, 10)
	in = append([]byte{0x00, 0x55}, in...) // garbage before the first sample
	in[2+3*SampleLen+1] &^= 1              // sample 3: C bit cleared
	d, got := decode(in)
	if len(got) != 9 {
		t.Fatalf("decoded %d samples, want 9 (one dropped)", len(got))
	}
	if got[0].AngleQ6 != 0 || got[3].AngleQ6 != uint16(4*360*64/10) {
		t.Errorf("samples misaligned after resync: %+v", got[:4])
	}
	if d.Stats.Resyncs != 2 || d.Stats.Malformed != 2 {
		t.Errorf("stats %+v, want 2 resyncs (garbage, corrupted sample)", d.Stats)
	}
	var chunks [][]byte
	for i := 0; i < len(in); i += 3 {
		chunks = append(chunks, in[i:min(i+3, len(in))])
	}
	d2, got2 := decode(chunks...)
	if len(got2) != len(got) || d2.Stats != d.Stats {
		t.Errorf("chunked decode differs: %+v vs %+v", d2.Stats, d.Stats)
	}
}

func TestAssembler(t *testing.T) {
	_, samples := decode(revolutions(3, 12))
	// Start mid-revolution: the first 5 samples precede any start flag.
	samples = append(samples[7:12:12], samples...)
	var a Assembler
	t0 := time.Unix(100, 0)
	var revs []Revolution
	for i, s := range samples {
		if r, ok := a.Add(s, t0.Add(time.Duration(i)*time.Millisecond)); ok {
			revs = append(revs, r)
		}
	}
	if len(revs) != 2 {
		t.Fatalf("%d revolutions, want 2 complete ones", len(revs))
	}
	if a.Dropped != 5 {
		t.Errorf("Dropped = %d, want 5 samples before the first start flag", a.Dropped)
	}
	r := revs[0]
	if len(r.Points) != 12 || !r.First.Equal(t0.Add(5*time.Millisecond)) || r.Last.Sub(r.First) != 11*time.Millisecond {
		t.Errorf("revolution: %d points, %v–%v", len(r.Points), r.First, r.Last)
	}
	p := r.Points[3] // 90°, 1.003 m
	if math.Abs(float64(p.X)-1.003) > 1e-5 || math.Abs(float64(p.Y)) > 1e-5 || p.Range != 1.003 || p.Intensity != 1 || p.Offset != 3000 {
		t.Errorf("point at 90° = %+v", p)
	}
	// A stream that never restarts is capped.
	b := Assembler{MaxPoints: 4}
	b.Add(Sample{Start: true}, t0)
	for i := 0; i < 10; i++ {
		b.Add(Sample{}, t0)
	}
	if b.Dropped != 7 {
		t.Errorf("MaxPoints: Dropped = %d, want 7", b.Dropped)
	}
}

func FuzzSampleDecoder(f *testing.F) {
	f.Add(revolutions(1, 8))
	f.Add([]byte{0xA5, 0x5A, 0x05, 0x00, 0x00, 0x40, 0x81})
	f.Add([]byte{0x3f, 0x01, 0x2d, 0, 0, 0x3d, 0x01})
	f.Fuzz(func(t *testing.T, in []byte) {
		d, got := decode(in)
		if uint64(len(got)) != d.Stats.Samples || uint64(len(got))*SampleLen > uint64(len(in)) {
			t.Fatalf("%d samples from %d bytes, stats %+v", len(got), len(in), d.Stats)
		}
		var a Assembler
		for _, s := range got {
			if s.AngleQ6 >= 360*64 {
				t.Fatalf("accepted angle %d", s.AngleQ6)
			}
			if r, ok := a.Add(s, time.Time{}); ok && len(r.Points) == 0 {
				t.Fatal("empty revolution")
			}
		}
		if len(in) > 2 {
			d2, got2 := decode(in[:len(in)/3], in[len(in)/3:])
			if len(got2) != len(got) || d2.Stats != d.Stats {
				t.Fatal("split changed the result")
			}
		}
	})
}

func FuzzParseDescriptor(f *testing.F) {
	f.Add([]byte{0xA5, 0x5A, 0x05, 0x00, 0x00, 0x40, 0x81})
	f.Add([]byte{0xA5, 0x5A, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ParseDescriptor(in)
		if err != nil {
			return
		}
		if d.Len > 0x3FFFFFFF {
			t.Fatalf("length %d beyond 30 bits", d.Len)
		}
		if mode := in[5] >> 6; (mode == 1) != d.Multiple {
			t.Fatalf("mode %d, Multiple %v", mode, d.Multiple)
		}
	})
}

func BenchmarkSampleDecoder(b *testing.B) {
	in := revolutions(10, 360)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var d SampleDecoder
	n := 0
	for b.Loop() {
		d.Feed(in, func(Sample) { n++ })
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkAssembler(b *testing.B) {
	_, samples := decode(revolutions(10, 360))
	t0 := time.Unix(0, 0)
	b.ReportAllocs()
	var a Assembler
	n := 0
	for b.Loop() {
		for _, s := range samples {
			a.Add(s, t0)
		}
		n += len(samples)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "points/s")
}
