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
			case 11:
				p.Azimuth = negZero
			case 12:
				p.Azimuth = math.Nextafter32(2*math.Pi, 0)
			case 13:
				p.Azimuth = -p.Azimuth
			}
		}
		a := got.Next(nil, &s)
		b := want.Next(nil, &s)
		if k := sameBits(a, b); k >= 0 {
			t.Fatalf("scan %d: %s = %v, reference %v", i, lidarNames[k], a[k], b[k])
		}
	}
}

// TestLidarBitLimits: the bit patterns the point pass compares with are
// those of the limits okPoint and the azimuth test state.
func TestLidarBitLimits(t *testing.T) {
	for _, c := range []struct {
		name       string
		bits, want uint32
	}{
		{"1e4", limBits, math.Float32bits(1e4)},
		{"2π", twoPiBits, math.Float32bits(2 * math.Pi)},
		{"−0", negZeroBits, math.Float32bits(float32(math.Copysign(0, -1)))},
	} {
		if c.bits != c.want {
			t.Errorf("%s: %#x, want %#x", c.name, c.bits, c.want)
		}
	}
	if below := math.Nextafter32(2*math.Pi, 0); !(float64(below) < 2*math.Pi) || float64(float32(2*math.Pi)) < 2*math.Pi {
		t.Errorf("float32(2π) %v, the float32 below it %v: the azimuth test no longer matches", float32(2*math.Pi), below)
	}
}
