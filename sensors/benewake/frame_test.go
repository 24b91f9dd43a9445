package benewake

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseFrame(t *testing.T) {
	// 1.23 m, strength 1000, temp raw 2300 → 2300/8 − 256 = 31.5 °C.
	good := AppendFrame(nil, 123, 1000, 2300)
	if want := []byte{0x59, 0x59, 0x7b, 0x00, 0xe8, 0x03, 0xfc, 0x08, 0x1c}; !bytes.Equal(good, want) {
		t.Fatalf("AppendFrame = % x, want % x", good, want)
	}
	m, err := ParseFrame(good)
	if err != nil {
		t.Fatal(err)
	}
	if m.DistanceCM != 123 || m.Strength != 1000 || m.TempC != 31.5 || m.Metres() != 1.23 || !m.Valid() {
		t.Errorf("ParseFrame = %+v (metres %v)", m, m.Metres())
	}
	bad := append([]byte(nil), good...)
	bad[3] ^= 0x10
	var ce *ChecksumError
	if _, err := ParseFrame(bad); !errors.As(err, &ce) || ce.Got != 0x1c {
		t.Errorf("corrupted frame: %v", err)
	}
	if _, err := ParseFrame(good[:8]); !errors.Is(err, ErrShortFrame) {
		t.Errorf("short frame: %v", err)
	}
	hdr := append([]byte(nil), good...)
	hdr[1] = 0x58
	if _, err := ParseFrame(hdr); !errors.Is(err, ErrHeader) {
		t.Errorf("bad header: %v", err)
	}
}

func TestMeasurementValidity(t *testing.T) {
	cases := []struct {
		m     Measurement
		valid bool
	}{
		{Measurement{DistanceCM: 500, Strength: 100}, true},
		{Measurement{DistanceCM: 500, Strength: 99}, false},      // too weak (TF-Luna §6.4)
		{Measurement{DistanceCM: 500, Strength: 0xFFFF}, false},  // overexposed
		{Measurement{DistanceCM: 0xFFFF, Strength: 50}, false},   // TFmini-S −1
		{Measurement{DistanceCM: 0xFFFC, Strength: 5000}, false}, // TFmini-S −4
	}
	for _, c := range cases {
		if c.m.Valid() != c.valid {
			t.Errorf("%+v Valid = %v", c.m, !c.valid)
		}
		if !c.valid && c.m.Metres() != 0 {
			t.Errorf("%+v Metres = %v, want 0", c.m, c.m.Metres())
		}
	}
	if s := (Measurement{Strength: 60000}).NormStrength(); s != 1 {
		t.Errorf("NormStrength(60000) = %v", s)
	}
}

// stream builds n frames with distances 100, 101, …
func stream(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = AppendFrame(b, uint16(100+i), 2000, 2400)
	}
	return b
}

func decodeAll(chunks ...[]byte) (*Decoder, []uint16) {
	var d Decoder
	var got []uint16
	for _, c := range chunks {
		d.Feed(c, func(m Measurement) { got = append(got, m.DistanceCM) })
	}
	return &d, got
}

func TestDecoderResync(t *testing.T) {
	s := stream(6)
	// Garbage before the first frame, including a lone header byte.
	in := append([]byte{0x00, 0x59, 0x13, 0x59}, s...)
	// Corrupt the distance of frame 2 (index 2 after the 4 garbage bytes).
	in[4+2*FrameLen+2] ^= 0xff
	// Drop one byte of frame 4.
	cut := 4 + 4*FrameLen + 5
	in = append(in[:cut:cut], in[cut+1:]...)

	d, got := decodeAll(in)
	want := []uint16{100, 101, 103, 105}
	if len(got) != len(want) {
		t.Fatalf("decoded %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("decoded %v, want %v", got, want)
		}
	}
	// Malformed: the stray header completing a misaligned frame, the
	// corrupted frame, the frame missing a byte.
	if d.Stats.Frames != 4 || d.Stats.Malformed != 3 || d.Stats.Resyncs < 3 {
		t.Errorf("stats %+v: want 4 frames, 3 malformed, ≥3 resyncs", d.Stats)
	}

	// Byte-at-a-time feeding decodes the same.
	chunks := make([][]byte, len(in))
	for i := range in {
		chunks[i] = in[i : i+1]
	}
	d2, got2 := decodeAll(chunks...)
	if len(got2) != len(got) || d2.Stats != d.Stats {
		t.Errorf("bytewise: %v %+v, whole: %v %+v", got2, d2.Stats, got, d.Stats)
	}
}

func TestDecoderTripleHeader(t *testing.T) {
	in := append([]byte{0x59}, stream(2)...)
	_, got := decodeAll(in)
	if len(got) != 2 {
		t.Fatalf("decoded %v after a stray header byte, want 2 frames", got)
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add(stream(3))
	f.Add([]byte{0x59, 0x59, 0x59, 0x59})
	f.Add(append([]byte{1, 2, 3}, stream(1)...))
	bad := stream(2)
	bad[11] = 0
	f.Add(bad)
	f.Fuzz(func(t *testing.T, in []byte) {
		d, got := decodeAll(in)
		if uint64(len(got)) != d.Stats.Frames {
			t.Fatalf("%d frames emitted, stats say %d", len(got), d.Stats.Frames)
		}
		if d.Stats.Frames*FrameLen > uint64(len(in)) {
			t.Fatalf("%d frames from %d bytes", d.Stats.Frames, len(in))
		}
		if d.Stats.Skipped > uint64(len(in)) {
			t.Fatalf("skipped %d of %d bytes", d.Stats.Skipped, len(in))
		}
		// Any split decodes the same.
		if len(in) > 1 {
			d2, got2 := decodeAll(in[:len(in)/2], in[len(in)/2:])
			if len(got2) != len(got) || d2.Stats != d.Stats {
				t.Fatalf("split changed the result: %+v vs %+v", d2.Stats, d.Stats)
			}
		}
	})
}

func FuzzParseFrame(f *testing.F) {
	f.Add(stream(1))
	f.Add([]byte{0x59, 0x59})
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ParseFrame(in)
		if err != nil {
			return
		}
		back := AppendFrame(nil, m.DistanceCM, m.Strength, uint16((m.TempC+256)*8))
		if !bytes.Equal(back, in[:FrameLen]) {
			t.Fatalf("round trip % x → % x", in[:FrameLen], back)
		}
	})
}

func BenchmarkDecoder(b *testing.B) {
	in := stream(1000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var d Decoder
	n := 0
	for b.Loop() {
		d.Feed(in, func(Measurement) { n++ })
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
}
