package velodyne_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/velodyne"
	"github.com/sensortrust/trustagent/sensors/velodyne/velodynetest"
)

// nonZero counts channels with a distance in raw payloads: the reference
// count a decoder must reproduce.
func nonZero(payloads [][]byte) int {
	n := 0
	for _, p := range payloads {
		for k := 0; k < 12; k++ {
			for c := 0; c < 32; c++ {
				o := 100*k + 4 + 3*c
				if p[o] != 0 || p[o+1] != 0 {
					n++
				}
			}
		}
	}
	return n
}

func split(b []byte) [][]byte {
	var out [][]byte
	for i := 0; i+velodyne.PayloadSize <= len(b); i += velodyne.PayloadSize {
		out = append(out, b[i:i+velodyne.PayloadSize])
	}
	return out
}

func assemble(t *testing.T, payloads [][]byte, opts velodyne.Options) []*sensors.Scan {
	t.Helper()
	a, err := velodyne.NewAssembler(opts)
	if err != nil {
		t.Fatal(err)
	}
	var scans []*sensors.Scan
	emit := func(s *sensors.Scan) { scans = append(scans, s) }
	for i, p := range payloads {
		if err := a.Add(p, time.Time{}, emit); err != nil {
			t.Fatalf("payload %d: %v", i, err)
		}
	}
	a.Flush(emit)
	return scans
}

func TestEinrideRecording(t *testing.T) {
	payloads := split(velodynetest.EinrideFile(t, "recording.bin"))
	if len(payloads) != 1000 {
		t.Fatalf("%d payloads, want 1000", len(payloads))
	}
	want := nonZero(payloads)
	scans := assemble(t, payloads, velodyne.Options{})
	total := 0
	for _, s := range scans {
		total += len(s.Points)
	}
	t.Logf("einride recording.bin: %d payloads → %d revolutions, %d returns", len(payloads), len(scans), total)
	if total != want {
		t.Errorf("decoded %d returns, payloads hold %d", total, want)
	}
	// 13 azimuth wraps: 12 full revolutions between a partial first and last.
	if len(scans) != 14 {
		t.Errorf("%d revolutions, want 14", len(scans))
	}
	for i, s := range scans[1 : len(scans)-1] {
		span := s.Points[len(s.Points)-1].Offset
		// One revolution at ~10 Hz: ~100 ms of firings.
		if span < 90_000 || span > 110_000 {
			t.Errorf("revolution %d spans %d µs", i+1, span)
		}
		if d := scans[i+2].Stamp.Sub(s.Stamp); d < 90*time.Millisecond || d > 110*time.Millisecond {
			t.Errorf("revolution %d → %d: %v apart", i+1, i+2, d)
		}
	}
	// Full revolutions start just past the cut and end just before it.
	mid := scans[5]
	if first, last := mid.Points[0].Azimuth, mid.Points[len(mid.Points)-1].Azimuth; first > 0.02 || last < 2*math.Pi-0.02 {
		t.Errorf("revolution 5 azimuths %.4f … %.4f rad", first, last)
	}
	checkGeometry(t, scans)
	// Dropping partial revolutions keeps the 12 full ones.
	if full := assemble(t, payloads, velodyne.Options{Partial: velodyne.DropPartial}); len(full) != 12 {
		t.Errorf("DropPartial: %d revolutions, want 12", len(full))
	}
	// Keeping no-return cells gives every firing a point.
	keep := assemble(t, payloads, velodyne.Options{NoReturns: velodyne.KeepNoReturns})
	cells := 0
	for _, s := range keep {
		cells += len(s.Points)
	}
	if cells != 1000*384 {
		t.Errorf("KeepNoReturns: %d cells, want %d", cells, 1000*384)
	}
}

// checkGeometry compares every point against the manual's formulas
// computed independently in float64 from the point's own fields.
func checkGeometry(t *testing.T, scans []*sensors.Scan) {
	t.Helper()
	for _, s := range scans {
		if s.Rings != 16 || len(s.RingElevations) != 16 {
			t.Fatalf("Rings %d", s.Rings)
		}
		prev := int32(-1)
		for _, p := range s.Points {
			w := float64(s.RingElevations[p.Ring])
			r, a := float64(p.Range), float64(p.Azimuth)
			if math.Abs(float64(p.X)-r*math.Cos(w)*math.Sin(a)) > 1e-3 ||
				math.Abs(float64(p.Y)-r*math.Cos(w)*math.Cos(a)) > 1e-3 ||
				math.Abs(float64(p.Z)-r*math.Sin(w)) > 1e-3 {
				t.Fatalf("point %+v off the manual's geometry", p)
			}
			if p.Intensity < 0 || p.Intensity > 1 || p.Azimuth < 0 || p.Azimuth >= 2*math.Pi {
				t.Fatalf("point %+v out of range", p)
			}
			if p.Offset < prev {
				t.Fatalf("offsets go back: %d after %d", p.Offset, prev)
			}
			prev = p.Offset
		}
	}
}

func TestEinridePacket(t *testing.T) {
	b := velodynetest.EinrideFile(t, "packet.bin")
	var p velodyne.Packet
	if err := p.Decode(b); err != nil {
		t.Fatal(err)
	}
	if p.Mode != velodyne.Strongest || p.Product != velodyne.ProductVLP16 || p.Blocks[0].Azimuth != 10342 {
		t.Errorf("mode %v product %#x azimuth %d", p.Mode, p.Product, p.Blocks[0].Azimuth)
	}
	// Blocks are ~0.4° apart at 10 Hz.
	for k := 1; k < 12; k++ {
		if d := int(p.Blocks[k].Azimuth) - int(p.Blocks[k-1].Azimuth); d < 30 || d > 50 {
			t.Errorf("block %d azimuth step %d", k, d)
		}
	}
}

func TestMRPTRevolution(t *testing.T) {
	payloads := velodynetest.MRPTPayloads(t)
	if len(payloads) != 75 {
		t.Fatalf("%d payloads in the rawlog, want 75", len(payloads))
	}
	want := nonZero(payloads)
	scans := assemble(t, payloads, velodyne.Options{})
	// The capture runs from 3.43° round to 0.89°: it wraps at block 9 of
	// the last payload, leaving a 0.9° tail as a second, partial revolution.
	if len(scans) != 2 {
		t.Fatalf("%d revolutions, want 2", len(scans))
	}
	total := 0
	lo, hi := math.Inf(1), 0.0
	for _, s := range scans {
		total += len(s.Points)
		for _, p := range s.Points {
			lo, hi = math.Min(lo, float64(p.Range)), math.Max(hi, float64(p.Range))
		}
	}
	t.Logf("MRPT rawlog: 75 payloads → revolutions of %d + %d returns = %d, range %.3f–%.3f m",
		len(scans[0].Points), len(scans[1].Points), total, lo, hi)
	if total != want || want < 22000 {
		t.Errorf("decoded %d returns, payloads hold %d", total, want)
	}
	if n := len(scans[1].Points); n > 3*32 {
		t.Errorf("tail revolution has %d points, at most 3 blocks' worth expected", n)
	}
	if lo < 2 || hi > 110 {
		t.Errorf("range %.3f–%.3f m", lo, hi)
	}
	checkGeometry(t, scans)
}

func TestDecodeRejects(t *testing.T) {
	good := velodynetest.Payload(0, 40, 1000, 100, 0)
	var p velodyne.Packet
	if err := p.Decode(good); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		mut  func([]byte) []byte
		want error
	}{
		{"short", func(b []byte) []byte { return b[:1205] }, velodyne.ErrSize},
		{"flag", func(b []byte) []byte { b[500] = 0; return b }, velodyne.ErrFlag},
		{"mode", func(b []byte) []byte { b[1204] = 0x40; return b }, velodyne.ErrMode},
		{"product", func(b []byte) []byte { b[1205] = 0x28; return b }, velodyne.ErrProduct},
		{"azimuth", func(b []byte) []byte { b[2], b[3] = 0xFF, 0xFF; return b }, velodyne.ErrAzimuth},
	}
	for _, c := range cases {
		b := c.mut(append([]byte(nil), good...))
		if err := p.Decode(b); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	a, _ := velodyne.NewAssembler(velodyne.Options{})
	if err := a.Add(good[:100], time.Time{}, func(*sensors.Scan) {}); err == nil || a.Stats().Malformed != 1 {
		t.Errorf("malformed payload: %v, stats %+v", err, a.Stats())
	}
}

func TestTimingAndWrap(t *testing.T) {
	// Two synthetic packets straddling the wrap: 35800 + k·40.
	p1 := velodynetest.Payload(35600, 40, 5000, 255, 1000)
	p2 := velodynetest.Payload(35600+480, 40, 5000, 255, 1000+1327)
	a, _ := velodyne.NewAssembler(velodyne.Options{})
	var scans []*sensors.Scan
	emit := func(s *sensors.Scan) { scans = append(scans, s) }
	for _, p := range [][]byte{p1, p2} {
		if err := a.Add(p, time.Time{}, emit); err != nil {
			t.Fatal(err)
		}
	}
	a.Flush(emit)
	if len(scans) != 2 {
		t.Fatalf("%d scans, want 2", len(scans))
	}
	// Azimuth reaches 36000 at block 10 of packet 1 (35600 + 10·40).
	if n := len(scans[0].Points); n != 10*32 {
		t.Errorf("first revolution has %d points, want 320", n)
	}
	s := scans[1]
	// Second revolution starts at packet 1 block 10: 10 block periods after its timestamp.
	wantStart := time.Unix(0, 0).Add(1000*time.Microsecond + time.Duration(10*110.592*1000))
	if d := s.Stamp.Sub(wantStart); d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("stamp %v want %v", s.Stamp.Sub(time.Unix(0, 0)), wantStart.Sub(time.Unix(0, 0)))
	}
	// Laser 5 of the second firing of the first block: 55.296 + 5·2.304 µs.
	var got *sensors.Point
	for i := range s.Points {
		if s.Points[i].Ring == 5 && i >= 16 {
			got = &s.Points[i]
			break
		}
	}
	if got == nil || got.Offset != int32(math.Round(55.296+5*2.304)) {
		t.Errorf("offset of laser 5, second firing: %+v", got)
	}
	// Its azimuth is interpolated: 0° + 40·(55.296+11.52)/110.592 hundredths.
	wantAz := 40 * (55.296 + 5*2.304) / 110.592 * math.Pi / 18000
	if math.Abs(float64(got.Azimuth)-wantAz) > 1e-6 {
		t.Errorf("azimuth %v want %v", got.Azimuth, wantAz)
	}
	if got.Range != 10 || got.Intensity != 1 {
		t.Errorf("range %v intensity %v", got.Range, got.Intensity)
	}
	if st := a.Stats(); st.Packets != 2 || st.Drops != 0 || st.Revolutions != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestDualReturn(t *testing.T) {
	b := velodynetest.Payload(0, 40, 1000, 10, 0)
	b[1204] = byte(velodyne.Dual)
	// Even blocks carry last returns, odd blocks strongest; blocks pair on azimuth.
	for k := 0; k < 12; k++ {
		az := (k / 2) * 40
		b[100*k+2], b[100*k+3] = byte(az), byte(az>>8)
	}
	// Block 1, channel 0: a different strongest echo; others repeat the last.
	b[100+4], b[100+5], b[100+6] = 0xE8, 0x03+1, 200
	a, _ := velodyne.NewAssembler(velodyne.Options{})
	var scans []*sensors.Scan
	if err := a.Add(b, time.Time{}, func(s *sensors.Scan) {}); err != nil {
		t.Fatal(err)
	}
	a.Flush(func(s *sensors.Scan) { scans = append(scans, s) })
	if len(scans) != 1 {
		t.Fatalf("%d scans", len(scans))
	}
	if n := len(scans[0].Points); n != 6*32+1 {
		t.Errorf("dual: %d points, want %d (6 block pairs × 32 + 1 distinct echo)", n, 6*32+1)
	}
	last := scans[0].Points[len(scans[0].Points)-1].Offset
	// Six block pairs take 6·110.592 µs; the last firing starts 55.296 µs before the end.
	if want := int32(math.Round(5*110.592 + 55.296 + 15*2.304)); last != want {
		t.Errorf("last offset %d want %d", last, want)
	}
}

func TestDropsFromTimestampGaps(t *testing.T) {
	a, _ := velodyne.NewAssembler(velodyne.Options{})
	emit := func(*sensors.Scan) {}
	for i, k := range []int{0, 1, 4, 5} { // packets 2 and 3 lost
		_ = i
		p := velodynetest.Payload(k*480, 40, 1000, 10, uint32(1000+k*1327))
		if err := a.Add(p, time.Time{}, emit); err != nil {
			t.Fatal(err)
		}
	}
	if d := a.Stats().Drops; d != 2 {
		t.Errorf("drops %d, want 2", d)
	}
}
