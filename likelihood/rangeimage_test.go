package likelihood

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

// TestRangeImageMatchesReference compares the range image with the
// straightforward loop (refRangeImage, as first written) bit for bit, on
// scans with and without ring elevations and with unusable points: zero,
// negative zero, negative, NaN, infinite and out-of-range ranges (1e4 is
// the last one taken), NaN coordinates and azimuths outside [0, 2π), and
// ties between the ranges of one cell.
func TestRangeImageMatchesReference(t *testing.T) {
	ev := make([]float32, 16)
	for i := range ev {
		ev[i] = float32(-15+2*i) * math.Pi / 180
	}
	r := &Repr{Kind: sensors.KindLidar, Elevations: ev, AzBins: 32, MaxRange: 120}
	rng := rand.New(rand.NewPCG(7, 8))
	odd := []float32{0, float32(math.Copysign(0, -1)), -1, float32(math.NaN()), float32(math.Inf(1)), 1e4, math.Nextafter32(1e4, 2e4), 2e4, 5, 5}
	for si, rings := range []int{16, 0, 16} {
		s := &sensors.Scan{Rings: rings}
		if si == 0 {
			s.RingElevations = ev
		}
		for i := range 4000 {
			el := float64(rng.IntN(20)-10) * 2 * math.Pi / 180
			az := rng.Float64() * 2 * math.Pi
			rr := float32(0.5 + 60*rng.Float64())
			p := sensors.Point{Range: rr, Azimuth: float32(az), Ring: uint16(rng.IntN(20)), Intensity: rng.Float32()}
			switch rng.IntN(8) {
			case 0:
				p.Range = odd[rng.IntN(len(odd))]
			case 1:
				p.Azimuth = float32(-7 + 20*rng.Float64())
			case 2:
				p.Azimuth = float32(math.NaN())
			case 3:
				p.Range = 7 // ties
			}
			h := float64(p.Range) * math.Cos(el)
			p.X, p.Y, p.Z = float32(h*math.Sin(az)), float32(h*math.Cos(az)), float32(float64(p.Range)*math.Sin(el))
			if i%97 == 0 {
				p.X = float32(math.NaN())
			}
			s.Points = append(s.Points, p)
		}
		a, b := newEncoder(r), newEncoder(r)
		got, want := make([]float64, r.ImageDims()), make([]float64, r.ImageDims())
		a.rangeImage(got, s)
		refRangeImage(b, want, s)
		for k := range got {
			if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
				t.Fatalf("scan %d input %d: %v, reference %v", si, k, got[k], want[k])
			}
		}
	}
}

// refRangeImage is encoder.rangeImage as first written.
func refRangeImage(e *encoder, dst []float64, s *sensors.Scan) {
	r := e.r
	cells := len(r.Elevations) * r.AzBins
	clear(e.cellR)
	// Rows of the scan's rings, when it numbers them with elevations.
	e.ringRow = e.ringRow[:0]
	if s.Rings > 0 && s.Rings <= 1024 && len(s.RingElevations) >= s.Rings {
		for ring := 0; ring < s.Rings; ring++ {
			e.ringRow = append(e.ringRow, int16(r.rowOf(float64(s.RingElevations[ring]))))
		}
	}
	azScale := float64(r.AzBins) / (2 * math.Pi)
	// Locals, not fields: the stores to the cells could alias e and s, and
	// the compiler would reload every slice header at every point.
	pts := s.Points
	ringRow, cellR, cellI := e.ringRow, e.cellR[:cells], e.cellI[:cells]
	azBins := r.AzBins
	for i := range pts {
		p := &pts[i]
		pr := p.Range
		if !(pr > 0 && pr <= 1e4) {
			continue
		}
		var row int
		if int(p.Ring) < len(ringRow) {
			row = int(ringRow[p.Ring])
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
		col := int(a * azScale)
		if col >= azBins {
			col = azBins - 1
		}
		c := row*azBins + col
		if cr := cellR[c]; cr == 0 || pr < cr {
			cellR[c] = pr
			cellI[c] = p.Intensity
		}
	}
	rng, inten := dst[:cells], dst[cells:2*cells]
	invLogMax := 1 / math.Log1p(float64(r.MaxRange))
	rng, inten = rng[:len(cellR)], inten[:len(cellR)]
	for c, pr := range cellR {
		if pr == 0 {
			rng[c], inten[c] = missingRange, 0
			continue
		}
		rng[c] = min(math.Log1p(float64(pr))*invLogMax, 1.5)
		in := float64(cellI[c])
		if !(in >= 0) {
			in = 0
		}
		inten[c] = min(in, 1)
	}
}
