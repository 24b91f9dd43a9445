package integrity_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sensortrust/trustagent/agent/integrity"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
)

// matchHoles checks every scan with one SurfaceHoles, in order (so that
// what it keeps from frame to frame is exercised), and fails on any
// difference from the reference.
func matchHoles(t *testing.T, h *integrity.SurfaceHoles, name string, scans []*sensors.Scan) {
	t.Helper()
	for i, s := range scans {
		got, want := h.Check(s), integrity.ReferenceHoles(s)
		if got.Pairs != want.Pairs || got.Holes != want.Holes || got.OffGrid != want.OffGrid ||
			math.Float64bits(got.Frac) != math.Float64bits(want.Frac) {
			t.Errorf("%s, frame %d: %+v, reference %+v", name, i, got, want)
		}
	}
}

// injected returns scans with fault at severity sev injected.
func injected(t *testing.T, scans []*sensors.Scan, fault string, sev int) []*sensors.Scan {
	t.Helper()
	inj, err := faults.New(sensors.KindLidar, faults.Config{Fault: fault, Severity: sev, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	var out []*sensors.Scan
	for _, s := range scans {
		for _, f := range inj.Inject(clone(s)) {
			out = append(out, f.(*sensors.Scan))
		}
	}
	return out
}

// TestSurfaceHolesMatchesReference holds Check to the plain statement of
// the check, bit for bit, on the scans the other hole tests use (clean,
// every LiDAR fault, dropout, shuffled, malformed, rotated) and on odd
// ones (boundary ranges and azimuths, negative zeros, NaNs, noisy
// azimuths that land near the grid tolerances).
func TestSurfaceHolesMatchesReference(t *testing.T) {
	var h integrity.SurfaceHoles
	real := capture(t)
	matchHoles(t, &h, "einride capture", real)
	matchHoles(t, &h, "MRPT rawlog", []*sensors.Scan{mrptScan(t)})
	n := 20
	if raceEnabled {
		n = 3
	}
	for _, w := range []uint64{1, 3, 7, 11, 13} {
		matchHoles(t, &h, fmt.Sprintf("sim world %d", w), simScans(t, w, 0, n, 16, w == 13))
	}
	matchHoles(t, &h, "sim 32 rings", simScans(t, 4, 0, 3, 32, false))
	matchHoles(t, &h, "sim 128 rings", simScans(t, 6, 0, 2, 128, true))
	sim := simScans(t, 11, 0, n/2, 16, false)
	for _, fault := range faults.Names(sensors.KindLidar) {
		for sev := 1; sev <= 3; sev++ {
			matchHoles(t, &h, fmt.Sprintf("sim, %s %d", fault, sev), injected(t, sim, fault, sev))
			matchHoles(t, &h, fmt.Sprintf("capture, %s %d", fault, sev), injected(t, real[:4], fault, sev))
		}
	}
	matchHoles(t, &h, "odd scans", oddHoleScans(real[3]))
}

// oddHoleScans derives scans from a real revolution that take every
// branch of the check: dropout, shuffles, rotations, short scans, ring
// counts beyond the points' and beyond the most the check handles,
// malformed fields and azimuth noise that puts steps at the grid's
// tolerances.
func oddHoleScans(scan *sensors.Scan) []*sensors.Scan {
	r := rand.New(rand.NewPCG(5, 7))
	var out []*sensors.Scan
	add := func(f func(s *sensors.Scan)) {
		s := clone(scan)
		f(s)
		out = append(out, s)
	}
	for _, p := range []float64{0.01, 0.1, 0.3, 0.6} {
		add(func(s *sensors.Scan) {
			s.Points = s.Points[:0]
			for _, pt := range scan.Points {
				if r.Float64() >= p {
					s.Points = append(s.Points, pt)
				}
			}
		})
	}
	add(func(s *sensors.Scan) {
		r.Shuffle(len(s.Points), func(i, j int) { s.Points[i], s.Points[j] = s.Points[j], s.Points[i] })
	})
	add(func(s *sensors.Scan) { k := len(s.Points) / 3; s.Points = append(s.Points[k:], s.Points[:k]...) })
	add(func(s *sensors.Scan) { s.Points = s.Points[:1000] })
	add(func(s *sensors.Scan) { s.Points = s.Points[:40] })
	add(func(s *sensors.Scan) { s.Points = nil })
	add(func(s *sensors.Scan) { s.Rings = 0 })
	add(func(s *sensors.Scan) { s.Rings = 5 })
	add(func(s *sensors.Scan) { s.Rings = 300 })
	add(func(s *sensors.Scan) {
		s.Rings = 300
		for i := range s.Points {
			s.Points[i].Ring = uint16(r.IntN(300))
		}
	})
	odd := []float32{
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0, -1,
		integrity.HoleMinRange, math.Nextafter32(integrity.HoleMinRange, 0), integrity.HoleMaxRange,
		math.Nextafter32(integrity.HoleMaxRange, 0), 2 * math.Pi, math.Nextafter32(2*math.Pi, 0), math.MaxFloat32,
		1e4, math.Nextafter32(1e4, 0),
	}
	for k := range 4 {
		add(func(s *sensors.Scan) {
			for i := range s.Points {
				if r.IntN(40) != 0 {
					continue
				}
				v := odd[r.IntN(len(odd))]
				switch k {
				case 0:
					s.Points[i].Range = v
				case 1:
					s.Points[i].Azimuth = v
				case 2:
					s.Points[i].Ring = uint16(r.IntN(20))
				case 3:
					s.Points[i].Range, s.Points[i].Azimuth = v, odd[r.IntN(len(odd))]
				}
			}
		})
	}
	// Azimuth noise of up to ±0.6 steps: agreeing steps spread over the
	// grid's tolerances (0.75, 1.25, 1.75, 2.25 and 2.5 steps) and off it.
	for _, noise := range []float64{0.05, 0.3, 0.6} {
		add(func(s *sensors.Scan) {
			const step = 2 * math.Pi / 1800
			for i := range s.Points {
				a := float64(s.Points[i].Azimuth) + noise*step*(2*r.Float64()-1)
				s.Points[i].Azimuth = float32(math.Mod(a+2*math.Pi, 2*math.Pi))
			}
		})
	}
	return out
}

// FuzzSurfaceHoles holds Check to the reference on arbitrary points.
func FuzzSurfaceHoles(f *testing.F) {
	f.Add(uint8(16), []byte{0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, rings uint8, b []byte) {
		s := &sensors.Scan{Rings: int(rings)}
		az := float32(0)
		for ; len(b) >= 7; b = b[7:] {
			// A range near 2–100 m most of the time, the azimuth a
			// small step on, the ring from one byte.
			rng := math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
			if b[4]&0x80 == 0 {
				rng = 2 + float32(b[0])/8
			}
			az += float32(b[5]) * (2 * math.Pi / 1800 / 64)
			if az >= 2*math.Pi {
				az -= 2 * math.Pi
			}
			s.Points = append(s.Points, sensors.Point{Range: rng, Azimuth: az, Ring: uint16(b[6] % 20)})
		}
		var h integrity.SurfaceHoles
		got, want := h.Check(s), integrity.ReferenceHoles(s)
		if got.Pairs != want.Pairs || got.Holes != want.Holes || got.OffGrid != want.OffGrid ||
			math.Float64bits(got.Frac) != math.Float64bits(want.Frac) {
			t.Errorf("%+v, reference %+v", got, want)
		}
	})
}

// TestRingGeometryMatchesReference holds RingGeometry.Check to the plain
// statement of the check, bit for bit, on real and simulated scans, every
// LiDAR fault and the odd scans of the hole check.
func TestRingGeometryMatchesReference(t *testing.T) {
	var g integrity.RingGeometry
	match := func(name string, scans []*sensors.Scan) {
		t.Helper()
		for i, s := range scans {
			got, want := g.Check(s), integrity.ReferenceGeometry(s)
			if got.Checked != want.Checked || got.Off != want.Off || math.Float64bits(got.Frac) != math.Float64bits(want.Frac) {
				t.Errorf("%s, frame %d: %+v, reference %+v", name, i, got, want)
			}
		}
	}
	real := capture(t)
	match("einride capture", real)
	sim := simScans(t, 11, 0, 5, 16, false)
	match("sim world 11", sim)
	match("sim 128 rings", simScans(t, 6, 0, 1, 128, true))
	for _, fault := range faults.Names(sensors.KindLidar) {
		for sev := 1; sev <= 3; sev++ {
			match(fmt.Sprintf("sim, %s %d", fault, sev), injected(t, sim, fault, sev))
		}
	}
	odd := oddHoleScans(real[3])
	for _, s := range odd[len(odd)-7:] { // malformed and noisy: odd heights too
		for i := range s.Points {
			if i%53 == 0 {
				s.Points[i].Z = s.Points[i].Range * float32(i%3-1)
			}
		}
	}
	match("odd scans", odd)
}
