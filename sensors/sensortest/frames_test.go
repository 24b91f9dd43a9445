package sensortest

import (
	"math"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

func TestVLP16Scan(t *testing.T) {
	s := VLP16Scan("lidar0", 4, t0)
	if err := CheckFrame(s); err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 1800*16 || s.Returns() != len(s.Points) {
		t.Fatalf("%d points, %d returns, want 28800 of each", len(s.Points), s.Returns())
	}
	at := func(col, laser int) sensors.Point { return s.Points[col*16+laser] }
	// Laser 0 (-15°) straight ahead hits the floor 0.8 m below:
	// 0.8 / sin 15° = 3.0910 m, before the end wall at 5 / cos 15° = 5.18 m.
	if p := at(0, 0); math.Abs(float64(p.Range)-3.091) > 0.002 || math.Abs(float64(p.Z)+0.8) > 0.002 {
		t.Errorf("laser 0 forward: %+v, want range 3.091 m, z -0.8 m", p)
	}
	// Laser 1 (+1°) to the right (azimuth 90°) hits the side wall at
	// 8 / cos 1° = 8.0012 m.
	if p := at(450, 1); math.Abs(float64(p.Range)-8.0012) > 0.002 || math.Abs(float64(p.X)-8) > 0.002 {
		t.Errorf("laser 1 right: %+v, want range 8.001 m, x 8 m", p)
	}
	// Laser 15 (+15°) forward hits the ceiling 2.2 m above: 8.5 m, after the
	// end wall at 5.18 m, so the wall wins.
	if p := at(0, 15); math.Abs(float64(p.Y)-5) > 0.002 {
		t.Errorf("laser 15 forward: %+v, want y 5 m", p)
	}
	last := at(1799, 15)
	if want := int32(math.Round(1799*55.296 + 15*2.304)); last.Offset != want {
		t.Errorf("last offset %d µs, want %d", last.Offset, want)
	}
	for i := 1; i < len(s.Points); i++ {
		if s.Points[i].Offset < s.Points[i-1].Offset {
			t.Fatalf("offsets decrease at point %d", i)
		}
	}
}

func TestRoomNoiseIsSeeded(t *testing.T) {
	r := Room{Columns: 36, Noise: 0.05, Seed: 9}
	a, b, c := r.Scan("x", 1, t0), r.Scan("x", 1, t0), r.Scan("x", 2, t0)
	same, diff := true, false
	for i := range a.Points {
		same = same && a.Points[i] == b.Points[i]
		diff = diff || a.Points[i].Range != c.Points[i].Range
	}
	if !same || !diff {
		t.Errorf("noise: same seq equal=%v, different seq differs=%v; want true, true", same, diff)
	}
}

func TestGrayImageMoves(t *testing.T) {
	a, b := GrayImage("c", 0, t0, 64, 48), GrayImage("c", 1, t0, 64, 48)
	if err := CheckFrame(a); err != nil {
		t.Fatal(err)
	}
	if a.GrayAt(0, 24) != 240 || a.GrayAt(8, 24) == 240 || b.GrayAt(8, 24) != 240 {
		t.Errorf("square not where expected: a(0)=%d a(8)=%d b(8)=%d", a.GrayAt(0, 24), a.GrayAt(8, 24), b.GrayAt(8, 24))
	}
}

func TestSeries(t *testing.T) {
	fr := Series(3, t0, time.Second, func(seq uint64, st time.Time) sensors.Frame { return RangeReading("r", seq, st, 1) })
	if len(fr) != 3 || fr[2].Head().Seq != 3 || !fr[2].Head().Stamp.Equal(t0.Add(2*time.Second)) {
		t.Errorf("Series = %+v", fr)
	}
}
