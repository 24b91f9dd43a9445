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
		{"1", oneBits, math.Float32bits(1)},
		{"+Inf", infBits, math.Float32bits(float32(math.Inf(1)))},
	} {
		if c.bits != c.want {
			t.Errorf("%s: %#x, want %#x", c.name, c.bits, c.want)
		}
	}
	if below := math.Nextafter32(2*math.Pi, 0); !(float64(below) < 2*math.Pi) || float64(float32(2*math.Pi)) < 2*math.Pi {
		t.Errorf("float32(2π) %v, the float32 below it %v: the azimuth test no longer matches", float32(2*math.Pi), below)
	}
}

// TestLidarLowIntensityBits: lowIBits are the bits of the least float32
// that is not below 0.02 as a float64, so that an intensity in [0, 1] is
// below 0.02 exactly when its bits are below them.
func TestLidarLowIntensityBits(t *testing.T) {
	at := math.Float32frombits(lowIBits)
	below := math.Float32frombits(lowIBits - 1)
	if float64(at) < 0.02 || !(float64(below) < 0.02) {
		t.Errorf("lowIBits %#x (%v, below it %v) is not where float32s reach 0.02", uint32(lowIBits), at, below)
	}
}

// TestUnitBits: for the bit patterns the point pass hands to unitBits
// (those at or above 1's: every 997th, and all near 1, +Inf, −0 and −Inf),
// unitBits gives unitIntensity's value, but +0 for −0 (the sums it goes to
// start at +0, so both add the same bits).
func TestUnitBits(t *testing.T) {
	var pats []uint32
	for b := uint64(oneBits); b <= math.MaxUint32; b += 997 {
		pats = append(pats, uint32(b))
	}
	for _, c := range []uint32{oneBits, infBits, negZeroBits, 0xff800000} {
		for d := uint32(0); d < 64; d++ {
			pats = append(pats, c+d, max(c-d, oneBits))
		}
	}
	pats = append(pats, math.MaxUint32)
	for _, ib := range pats {
		got := float64(math.Float32frombits(unitBits(ib)))
		want := unitIntensity(math.Float32frombits(ib))
		if math.Float64bits(got) != math.Float64bits(want) && !(want == 0 && got == 0) {
			t.Fatalf("bits %#x: unitBits gives %v, unitIntensity %v", ib, got, want)
		}
	}
	// Below 1's bits the pass takes the intensity as it is: [+0, 1).
	for _, v := range []float32{0, math.SmallestNonzeroFloat32, 0.02, math.Nextafter32(1, 0)} {
		if math.Float32bits(v) >= oneBits || unitIntensity(v) != float64(v) {
			t.Errorf("%v: not its own unit intensity below 1's bits", v)
		}
	}
}

// TestNeighbourBits: the bit patterns the grid passes compare with are
// those of the thresholds they state: 0.5 and maxDiffRange as float32s,
// and the least float32s above 0.05 and 0.2 as float64s.
func TestNeighbourBits(t *testing.T) {
	if halfBits != math.Float32bits(0.5) || maxDiffBits != math.Float32bits(maxDiffRange) {
		t.Errorf("halfBits %#x, maxDiffBits %#x: not 0.5 and %v", uint32(halfBits), uint32(maxDiffBits), maxDiffRange)
	}
	for _, c := range []struct {
		bits uint32
		lim  float64
	}{{above5Bits, 0.05}, {above20Bits, 0.2}} {
		at, below := math.Float32frombits(c.bits), math.Float32frombits(c.bits-1)
		if !(float64(at) > c.lim) || float64(below) > c.lim {
			t.Errorf("%#x (%v, below it %v) is not where float32s pass %v", c.bits, at, below, c.lim)
		}
	}
}

// TestLidarAzimuthBinBelowBins: the point pass masks an azimuth's bin
// instead of clamping it. Its azimuths lie in [0, a), a the float32 below
// float32(2π), and a bin grows with the azimuth, so a's bin being below
// gridAz makes the mask a no-op for all of them.
func TestLidarAzimuthBinBelowBins(t *testing.T) {
	a := math.Float32frombits(twoPiBits - 1)
	k := lidarScales()
	if b := int(float64(a) * k.az); b >= gridAz || b != azBin(a, gridAz) {
		t.Errorf("the largest fast-path azimuth %v falls in bin %d (azBin: %d)", a, b, azBin(a, gridAz))
	}
}
