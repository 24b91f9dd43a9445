package likelihood

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sim"
	"github.com/sensortrust/trustagent/sensors/velodyne"
)

// referenceRangeImage is encoder.rangeImage written as one plain loop over
// the points, as Repr's doc comment states the range image.
func referenceRangeImage(e *encoder, dst []float64, s *sensors.Scan) {
	r := e.r
	cells := len(r.Elevations) * r.AzBins
	cellR, cellI := make([]float32, cells), make([]float32, cells)
	var ringRow []int
	if s.Rings > 0 && s.Rings <= 1024 && len(s.RingElevations) >= s.Rings {
		for ring := 0; ring < s.Rings; ring++ {
			ringRow = append(ringRow, r.rowOf(float64(s.RingElevations[ring])))
		}
	}
	azScale := float64(r.AzBins) / (2 * math.Pi)
	for _, p := range s.Points {
		if !(p.Range > 0 && p.Range <= 1e4) {
			continue
		}
		var row int
		if int(p.Ring) < len(ringRow) {
			row = ringRow[p.Ring]
		} else {
			x, y, z := float64(p.X), float64(p.Y), float64(p.Z)
			h := math.Sqrt(x*x + y*y)
			if !(h > 0) || math.IsInf(h, 0) || math.IsNaN(z) {
				continue
			}
			row = e.rowOfTan(z / h)
		}
		if row < 0 {
			continue
		}
		a := float64(p.Azimuth)
		if !(a >= 0 && a < 2*math.Pi) {
			a = math.Mod(a, 2*math.Pi)
			if a < 0 {
				a += 2 * math.Pi
			}
			if !(a >= 0) {
				continue
			}
		}
		col := min(int(a*azScale), r.AzBins-1)
		if c := row*r.AzBins + col; cellR[c] == 0 || p.Range < cellR[c] {
			cellR[c], cellI[c] = p.Range, p.Intensity
		}
	}
	invLogMax := 1 / math.Log1p(float64(r.MaxRange))
	for c, pr := range cellR {
		if pr == 0 {
			dst[c], dst[cells+c] = missingRange, 0
			continue
		}
		dst[c] = min(math.Log1p(float64(pr))*invLogMax, 1.5)
		dst[cells+c] = max(0, min(float64(cellI[c]), 1))
		if math.IsNaN(float64(cellI[c])) {
			dst[cells+c] = 0
		}
	}
}

// TestRangeImageMatchesReference: the range image of the encoder (its
// point loop split into a fast loop and a general path) equals the plain
// loop's, bit for bit, on simulated scans of 16, 32 and 128 rings, scans
// without ring numbers or ring elevations, and scans with malformed
// ranges, azimuths, rings and coordinates.
func TestRangeImageMatchesReference(t *testing.T) {
	w, err := sim.NewWorld(sim.WorldOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var scans []*sensors.Scan
	for _, o := range []sim.LidarOptions{{Seed: 1}, {Seed: 2, Rings: 32}, {Seed: 3, Rings: 128, DropNoReturn: true}} {
		l, err := sim.NewLidar(w, o)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			scans = append(scans, l.Scan(uint64(i)))
		}
	}
	rng := rand.New(rand.NewPCG(8, 9))
	odd := []float32{
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0, -1, -7,
		1e4, math.Nextafter32(1e4, 0), math.Nextafter32(1e4, 20000), 2 * math.Pi, math.Nextafter32(2*math.Pi, 0),
		7, 13, math.MaxFloat32, math.SmallestNonzeroFloat32,
	}
	base := scans[0]
	for k := range 6 {
		s := *base
		s.Points = append([]sensors.Point(nil), base.Points...)
		switch k {
		case 0:
			s.Rings = 0
		case 1:
			s.RingElevations = nil
		case 2:
			s.Rings = 8
		}
		for i := range s.Points {
			if k < 3 || rng.IntN(20) != 0 {
				continue
			}
			p := &s.Points[i]
			switch rng.IntN(4) {
			case 0:
				p.Range = odd[rng.IntN(len(odd))]
			case 1:
				p.Azimuth = odd[rng.IntN(len(odd))]
			case 2:
				p.Ring = uint16(rng.IntN(40))
			case 3:
				p.X, p.Z = odd[rng.IntN(len(odd))], odd[rng.IntN(len(odd))]
			}
		}
		scans = append(scans, &s)
	}
	for _, azBins := range []int{64, 1800} {
		r := &Repr{Kind: sensors.KindLidar, Elevations: velodyne.Elevations(), AzBins: azBins, MaxRange: 100}
		e := newEncoder(r)
		got, want := make([]float64, r.ImageDims()), make([]float64, r.ImageDims())
		for i, s := range scans {
			e.rangeImage(got, s)
			referenceRangeImage(newEncoder(r), want, s)
			for c := range got {
				if math.Float64bits(got[c]) != math.Float64bits(want[c]) {
					t.Fatalf("%d bins, scan %d: input %d is %v, reference %v", azBins, i, c, got[c], want[c])
				}
			}
		}
	}
}

func TestRangeImageBits(t *testing.T) {
	if maxRangeBits != math.Float32bits(1e4) || twoPiBits != math.Float32bits(2*math.Pi) {
		t.Errorf("maxRangeBits %#x, twoPiBits %#x: want %#x, %#x", maxRangeBits, twoPiBits, math.Float32bits(1e4), math.Float32bits(2*math.Pi))
	}
	// Every float32 below float32(2π) is below 2π as a float64, and
	// float32(2π) is not: the fast loop's azimuth test is the general
	// path's.
	if below := math.Nextafter32(2*math.Pi, 0); !(float64(below) < 2*math.Pi) || float64(float32(2*math.Pi)) < 2*math.Pi {
		t.Errorf("float32(2π) %v, the float32 below it %v", float32(2*math.Pi), below)
	}
}

// TestAzimuthColumnBelowBins: rangeCells takes an azimuth's column
// without clamping it to AzBins−1. Its azimuths lie in [0, a), a the
// float32 below float32(2π), and a column grows with the azimuth (a
// product with a positive scale is monotone), so a's column being below
// AzBins for every valid AzBins proves it for all.
func TestAzimuthColumnBelowBins(t *testing.T) {
	a := float64(math.Float32frombits(twoPiBits - 1))
	for azBins := 4; azBins <= 4096; azBins++ {
		azScale := float64(azBins) / (2 * math.Pi) // as rangeImage rounds it
		if c := int(a * azScale); c >= azBins {
			t.Fatalf("%d bins: the largest fast-path azimuth %v falls in column %d", azBins, a, c)
		}
	}
}
