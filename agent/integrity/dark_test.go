package integrity_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/sensortrust/trustagent/agent/integrity"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
)

// darkClean asserts that no clean scan has a dark ring and that at most
// maxNone of them lack a verdict.
func darkClean(t *testing.T, name string, scans []*sensors.Scan, maxNone int) {
	t.Helper()
	var d integrity.DarkRings
	none, dark := 0, 0
	for i, s := range scans {
		r := d.Check(s)
		switch {
		case r.Dark < 0:
			none++
		case r.Dark > 0:
			if dark == 0 {
				t.Errorf("%s: clean frame %d has %d dark rings", name, i, r.Dark)
			}
			dark++
		}
	}
	t.Logf("%s: %d frames, %d with a dark ring, %d without verdict", name, len(scans), dark, none)
	if dark > 0 {
		t.Errorf("%s: %d of %d clean frames with a dark ring, want none", name, dark, len(scans))
	}
	if none > maxNone {
		t.Errorf("%s: %d of %d clean frames without verdict, want at most %d", name, none, len(scans), maxNone)
	}
}

func TestDarkRingsCleanSim(t *testing.T) {
	if raceEnabled {
		t.Skip("long simulated drives (tens of seconds under -race, where they add nothing: make test runs them without)")
	}
	const n = 300
	for _, w := range []uint64{1, 3, 5, 7, 9, 11, 12, 13, 41, 42} {
		darkClean(t, fmt.Sprintf("sim VLP-16 world %d", w), simScans(t, w, 0, n, 16, false), 0)
	}
	darkClean(t, "sim VLP-16 world 2, no-return cells dropped", simScans(t, 2, 0, n, 16, true), 0)
	darkClean(t, "sim 32 rings world 4", simScans(t, 4, 0, n/3, 32, false), 0)
	darkClean(t, "sim 128 rings world 6", simScans(t, 6, 0, n/10, 128, true), 0)
}

func TestDarkRingsCleanReal(t *testing.T) {
	for _, sc := range realScans(t) {
		darkClean(t, sc.name, sc.scans, 0)
	}
}

// darkFrac injects fault at severity sev into scans and returns the
// fraction of frames with a dark ring.
func darkFrac(t *testing.T, scans []*sensors.Scan, fault string, sev int) float64 {
	t.Helper()
	var d integrity.DarkRings
	return injectedFrac(t, scans, fault, sev, func(s *sensors.Scan) bool { return d.Check(s).Level() == level.Error })
}

// TestDarkRingsLostLasers: cross_sensor deletes every fourth, every second
// or three of four rings in elevation order, so every frame has a dark ring
// between lit ones. beam_missing deletes 3, 6 or 9 random rings, a new draw
// per frame; a frame whose deleted rings all sit at the fan's edges, or
// next to a ring the scene leaves sparse (the upper lasers of a simulated
// street), has none to see, which the fewer deleted rings of severity 1
// leave more often. The other faults are logged.
func TestDarkRingsLostLasers(t *testing.T) {
	if raceEnabled {
		t.Skip("long simulated drives (tens of seconds under -race, where they add nothing: make test runs them without)")
	}
	const n = 100
	sources := faultSources(t, n, 9)
	for name, scans := range sources {
		for sev := 1; sev <= 3; sev++ {
			for _, c := range []struct {
				fault string
				floor float64
			}{{"cross_sensor", 1}, {"beam_missing", map[int]float64{1: 0.75, 2: 0.95, 3: 0.95}[sev]}} {
				f := darkFrac(t, scans, c.fault, sev)
				t.Logf("%s, %s %d: dark ring in %.1f %% of %d frames", name, c.fault, sev, 100*f, len(scans))
				if f < c.floor {
					t.Errorf("%s, %s %d: dark ring in %.1f %% of frames, want ≥ %.0f %%", name, c.fault, sev, 100*f, 100*c.floor)
				}
			}
		}
	}
	scans := sources["sim world 9"]
	for _, fault := range faults.Names(sensors.KindLidar) {
		for sev := 1; sev <= 3; sev++ {
			t.Logf("%s %d: dark ring in %.1f %% of %d frames", fault, sev, 100*darkFrac(t, scans, fault, sev), n)
		}
	}
}

// fan is a synthetic revolution of a 16-laser fan with the VLP-16's ring
// numbering (interleaved: ring 0 at −15°, ring 1 at +1°, …) and per
// returns for each ring by elevation rank (lowest first).
func fan(per [16]int) *sensors.Scan {
	s := &sensors.Scan{Rings: 16, RingElevations: make([]float32, 16)}
	rank := make([]int, 16)
	for r := range 16 {
		deg := -15 + 16*(r%2) + 2*(r/2)
		s.RingElevations[r] = float32(float64(deg) * math.Pi / 180)
		rank[r] = (deg + 15) / 2
	}
	for r := range 16 {
		for i := range per[rank[r]] {
			s.Points = append(s.Points, sensors.Point{Ring: uint16(r), Range: 10, Azimuth: float32(i) * 0.01})
		}
	}
	return s
}

func TestDarkRingsRules(t *testing.T) {
	full := 1800
	for _, c := range []struct {
		name string
		per  [16]int
		dark int
	}{
		{"all lit", [16]int{full, full, full, full, full, full, full, full, full, full, full, full, full, full, full, full}, 0},
		{"open sky over the upper half", [16]int{full, full, full, full, full, full, full, full, 300, 20, 0, 0, 0, 0, 0, 0}, 0},
		{"lowest lasers blocked by the robot", [16]int{0, 0, full, full, full, full, full, full, full, full, full, full, full, full, full, full}, 0},
		{"one laser dead", [16]int{full, full, full, full, full, 0, full, full, full, full, full, full, full, full, full, full}, 1},
		{"three lasers dead in a row", [16]int{full, full, 0, 0, 0, full, full, full, full, full, full, full, full, full, full, full}, 3},
		{"two apart", [16]int{full, 0, full, full, full, full, full, full, full, 0, full, full, full, full, full, full}, 2},
		{"dark next to a sparse ring", [16]int{full, full, full, full, full, 0, 100, full, full, full, full, full, full, full, full, full}, 0},
		{"a laser that returns a little", [16]int{full, full, full, full, full, 3, full, full, full, full, full, full, full, full, full, full}, 0},
		{"under an open sky a dark laser between lit ones", [16]int{full, full, full, full, full, full, full, full, full, 0, full, 0, 0, 0, 0, 0}, 1},
	} {
		var d integrity.DarkRings
		r := d.Check(fan(c.per))
		if r.Dark != c.dark {
			t.Errorf("%s: %d dark rings, want %d", c.name, r.Dark, c.dark)
		}
		if want := map[bool]level.Level{true: level.Error, false: level.OK}[c.dark > 0]; r.Level() != want {
			t.Errorf("%s: level %v, want %v", c.name, r.Level(), want)
		}
	}
}

func TestDarkRingsOrder(t *testing.T) {
	per := [16]int{}
	for i := range per {
		per[i] = 500
	}
	per[7] = 0
	s := fan(per)
	var d integrity.DarkRings
	if r := d.Check(s); r.Dark != 1 {
		t.Fatalf("ring table: %d dark rings, want 1", r.Dark)
	}
	// Without the table the ring numbers are the order: the dark laser
	// (ring 14, at −1°) lies between rings 13 and 15, both lit.
	s.RingElevations = nil
	if r := d.Check(s); r.Dark != 1 {
		t.Errorf("ring numbers: %d dark rings, want 1", r.Dark)
	}
	// With the table, a fan whose upper lasers see nothing (odd ring
	// numbers) has no dark ring; taken by ring number it would have seven.
	for i := range per {
		per[i] = 500
		if i >= 8 {
			per[i] = 0
		}
	}
	s = fan(per)
	if r := d.Check(s); r.Dark != 0 {
		t.Errorf("upper half dark, ring table: %d dark rings, want 0", r.Dark)
	}
	s.RingElevations[3] = float32(math.NaN())
	if r := d.Check(s); r.Dark != 7 {
		t.Errorf("upper half dark, a NaN in the table (ring numbers taken): %d dark rings, want 7", r.Dark)
	}
}

func TestDarkRingsNoVerdict(t *testing.T) {
	var d integrity.DarkRings
	scan := capture(t)[2]
	if r := d.Check(scan); r.Dark != 0 {
		t.Fatalf("real revolution: %+v, want a verdict and no dark ring", r)
	}
	for name, s := range map[string]*sensors.Scan{
		"no rings": func() *sensors.Scan { s := clone(scan); s.Rings = 0; return s }(),
		"2 rings":  func() *sensors.Scan { s := clone(scan); s.Rings = 2; return s }(),
		"empty":    func() *sensors.Scan { s := clone(scan); s.Points = nil; return s }(),
		"sparse":   func() *sensors.Scan { s := clone(scan); s.Points = s.Points[:600]; return s }(),
	} {
		if r := d.Check(s); r.Dark != -1 || r.Level() != level.OK {
			t.Errorf("%s: %+v, want no verdict", name, r)
		}
	}
	// Malformed returns count as none; ring numbers beyond the scan's are
	// skipped.
	s := clone(scan)
	for i := range s.Points {
		switch i % 5 {
		case 0:
			s.Points[i].Range = float32(math.NaN())
		case 1:
			s.Points[i].Range = float32(math.Inf(1))
		case 2:
			s.Points[i].Ring = 9999
		case 3:
			s.Points[i].Range = -1
		}
	}
	if r := d.Check(s); r.Dark != 0 {
		t.Errorf("malformed returns: %+v, want no dark ring", r)
	}
}

func TestDarkRingsAllocs(t *testing.T) {
	scan := capture(t)[2]
	var d integrity.DarkRings
	d.Check(scan)
	if a := testing.AllocsPerRun(20, func() { d.Check(scan) }); a != 0 {
		t.Errorf("%v allocations per check, want 0", a)
	}
}

func BenchmarkDarkRings(b *testing.B) {
	scan := capture(b)[2]
	var d integrity.DarkRings
	b.ReportAllocs()
	for b.Loop() {
		d.Check(scan)
	}
}
