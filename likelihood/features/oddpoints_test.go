package features

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sensortrust/trustagent/likelihood/internal/synth"
	"github.com/sensortrust/trustagent/sensors"
)

// TestLidarOddPointsMatchReference: scans whose points carry NaN
// intensities, coordinates or azimuths, negative-zero ranges and
// intensities, ranges at and just below the 1e4 m limit, and rings beyond
// the scan's count, between points the fast path takes, give the
// reference's statistics bit for bit.
func TestLidarOddPointsMatchReference(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	nan := float32(math.NaN())
	rng := rand.New(rand.NewPCG(9, 10))
	var got LidarExtractor
	var want refLidar
	for i := range 4 {
		s := *synth.Scan(i, 360, 1, i != 2)
		s.Points = append([]sensors.Point(nil), s.Points...)
		for k := range s.Points {
			p := &s.Points[k]
			switch rng.IntN(16) {
			case 0:
				p.Intensity = nan
			case 1:
				p.X = nan
			case 2:
				p.Intensity = negZero
			case 3:
				p.Azimuth = nan
			case 4:
				p.Range = negZero
			case 5:
				p.Range = math.Nextafter32(1e4, 0)
			case 6:
				p.Range = 1e4
			case 7:
				p.Ring = uint16(s.Rings + rng.IntN(3))
			case 8:
				p.Azimuth = float32(2 * math.Pi)
			case 9:
				p.Intensity = 1.5
			case 10:
				p.Z = -1e4
			}
		}
		a := got.Next(nil, &s)
		b := want.Next(nil, &s)
		if k := sameBits(a, b); k >= 0 {
			t.Fatalf("scan %d: %s = %v, reference %v", i, lidarNames[k], a[k], b[k])
		}
	}
}
