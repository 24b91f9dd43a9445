package integrity_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/integrity"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/velodyne"
	"github.com/sensortrust/trustagent/sensors/velodyne/velodynetest"
)

// capture returns the full revolutions of the real VLP-16 recording.
func capture(t testing.TB) []*sensors.Scan {
	t.Helper()
	b := velodynetest.EinrideFile(t, "recording.bin")
	a, err := velodyne.NewAssembler(velodyne.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var scans []*sensors.Scan
	emit := func(s *sensors.Scan) {
		if len(s.Points) > 10000 {
			scans = append(scans, s)
		}
	}
	for i := 0; i+velodyne.PayloadSize <= len(b); i += velodyne.PayloadSize {
		if err := a.Add(b[i:i+velodyne.PayloadSize], time.Time{}, emit); err != nil {
			t.Fatal(err)
		}
	}
	a.Flush(emit)
	if len(scans) < 10 {
		t.Fatalf("%d full revolutions in the capture, want at least 10", len(scans))
	}
	return scans
}

func clone(s *sensors.Scan) *sensors.Scan {
	c := *s
	c.Points = append([]sensors.Point(nil), s.Points...)
	return &c
}

// setXYZ moves a return and keeps its range and azimuth consistent, as a
// displaced echo would be reported.
func setXYZ(p *sensors.Point, x, y, z float64) {
	p.X, p.Y, p.Z = float32(x), float32(y), float32(z)
	p.Range = float32(math.Sqrt(x*x + y*y + z*z))
	p.Azimuth = float32(math.Mod(math.Atan2(x, y)+2*math.Pi, 2*math.Pi))
}

func TestRealCaptureIsOnItsCones(t *testing.T) {
	var g integrity.RingGeometry
	for i, s := range capture(t) {
		r := g.Check(s)
		if r.Checked < 3000 || r.Off != 0 || r.Frac != 0 || r.Level() != level.OK {
			t.Errorf("revolution %d: %+v (level %v), want every one of over 3,000 checked returns on its cone", i, r, r.Level())
		}
	}
}

func TestDisplacedReturnsAreOffTheirCones(t *testing.T) {
	scan := capture(t)[3]
	for _, tc := range []struct {
		frac float64
		want level.Level
	}{
		{0.01, level.Error}, // 1 %
		{0.001, level.Warn}, // 0.1 %
		{0.00005, level.OK}, // a return or two
	} {
		s := clone(scan)
		moved := 0
		r := rand.New(rand.NewPCG(1, 2))
		for i := range s.Points {
			p := &s.Points[i]
			if r.Float64() >= tc.frac || p.Range < integrity.MinRange {
				continue
			}
			// Three metres up: off the cone at any range the capture holds.
			setXYZ(p, float64(p.X), float64(p.Y), float64(p.Z)+3)
			moved++
		}
		var g integrity.RingGeometry
		res := g.Check(s)
		if res.Level() != tc.want || tc.want != level.OK && math.Abs(res.Frac-tc.frac) > tc.frac/2 {
			t.Errorf("%.3f %% of the returns moved (%d): %+v, level %v; want about that fraction off and %v", 100*tc.frac, moved, res, res.Level(), tc.want)
		}
	}
}

func TestNoVerdictWithoutRings(t *testing.T) {
	scan := capture(t)[0]
	var g integrity.RingGeometry
	s := clone(scan)
	s.Rings = 0
	if r := g.Check(s); !math.IsNaN(r.Frac) || r.Level() != level.OK {
		t.Errorf("scan without ring numbers: %+v, want no verdict", r)
	}
	s = clone(scan)
	s.Points = s.Points[:integrity.MinChecked/2]
	if r := g.Check(s); !math.IsNaN(r.Frac) || r.Level() != level.OK {
		t.Errorf("scan of %d points: %+v, want no verdict", len(s.Points), r)
	}
	// Malformed returns are skipped, never counted off.
	s = clone(scan)
	for i := range s.Points {
		if i%50 == 0 {
			s.Points[i].Z = float32(math.NaN())
		}
		if i%50 == 1 {
			s.Points[i].Range = float32(math.Inf(1))
		}
		if i%50 == 2 {
			s.Points[i].Ring = 9999
		}
	}
	if r := g.Check(s); r.Off != 0 || r.Level() != level.OK {
		t.Errorf("scan with NaN heights, infinite ranges and unknown rings: %+v", r)
	}
}

// TestTurnedCloudIsOff shows why a deskewing driver turns the check off:
// a cloud turned by 3° about the x axis leaves its cones.
func TestTurnedCloudIsOff(t *testing.T) {
	s := clone(capture(t)[0])
	c, sn := math.Cos(3*math.Pi/180), math.Sin(3*math.Pi/180)
	for i := range s.Points {
		p := &s.Points[i]
		if p.Range == 0 {
			continue
		}
		y, z := float64(p.Y), float64(p.Z)
		setXYZ(p, float64(p.X), c*y-sn*z, sn*y+c*z)
	}
	var g integrity.RingGeometry
	if r := g.Check(s); r.Level() != level.Error {
		t.Errorf("turned cloud: %+v, want ERROR", r)
	}
}

func BenchmarkRingGeometry(b *testing.B) {
	scans := capture(b)
	var g integrity.RingGeometry
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		g.Check(scans[i%len(scans)])
	}
}
