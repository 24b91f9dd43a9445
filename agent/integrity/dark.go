package integrity

import (
	"math"
	"slices"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// Dark ring limits.
const (
	// LitFrac is the share of the busiest ring's returns a ring needs to
	// count as lit: a laser sweeping surfaces all round. A ring between
	// two lit ones sweeps the same surfaces a degree or two higher or
	// lower.
	LitFrac = 0.25
	// MinLitReturns is the fewest returns the busiest ring needs for a
	// verdict: a scan that hardly sees anything (open sky, a sensor
	// starting up) says nothing about its lasers.
	MinLitReturns = 100
	// infBits is the bit pattern of float32 +Inf: a float32 r is finite
	// and positive exactly when Float32bits(r)−1 < infBits−1 as uint32
	// (+0 wraps round, negative values and NaNs lie above).
	infBits = 0x7f800000
)

// DarkRings finds lasers that returned nothing while the lasers just above
// and below them swept surfaces.
//
// Neighbouring lasers of a spinning LiDAR look a degree or two apart in
// elevation; where the lasers above and below a ring return all round, the
// ring in between sweeps the same walls, ground and objects and returns
// too. A healthy laser between two lit ones therefore never gives a
// revolution without a single return. A dead or blinded laser, a receiver
// channel lost, or a driver that drops a laser's points (the fault
// catalogue's beam_missing and cross_sensor) gives exactly that. Rings are
// taken in elevation order (Scan.RingElevations, else ring numbers); a run
// of rings without a return, with a lit ring (LitFrac of the busiest
// ring's returns) directly below and directly above it, is dark. Rings at
// the edges of the fan (the upper lasers under an open sky) are never
// dark: nothing above them says they should return.
//
// The zero value is ready; it keeps buffers between frames and is not safe
// for concurrent use.
type DarkRings struct {
	counts *[maxRings]int32 // returns per ring number
	order  []int
	elev   []float32 // the elevations order was made for
}

// DarkResult is a frame's verdict.
type DarkResult struct {
	Rings int // rings of the scan
	Dark  int // dark rings: without a return, between lit ones; -1 without a verdict
}

// Check counts s's dark rings. A scan with fewer than 3 rings, or whose
// busiest ring has fewer than MinLitReturns returns, gets no verdict.
func (d *DarkRings) Check(s *sensors.Scan) DarkResult {
	res := DarkResult{Rings: s.Rings, Dark: -1}
	rings := min(s.Rings, maxRings)
	if rings < 3 {
		return res
	}
	if d.counts == nil {
		d.counts = new([maxRings]int32)
	}
	counts := d.counts[:rings]
	d.count(s.Points)
	busiest := slices.Max(counts)
	if busiest < MinLitReturns {
		return res
	}
	lit := int32(math.Ceil(LitFrac * float64(busiest)))
	order := d.elevationOrder(s, rings)
	res.Dark = 0
	// run counts the rings without a return since the latest lit ring
	// (-1: no lit ring yet, or a ring since that returned a little).
	run := -1
	for _, r := range order {
		switch c := counts[r]; {
		case c >= lit:
			if run > 0 {
				res.Dark += run
			}
			run = 0
		case c == 0 && run >= 0:
			run++
		default:
			run = -1
		}
	}
	return res
}

// count counts the returns (finite, positive ranges) of each ring number
// into d.counts, skipping ring numbers past maxRings.
func (d *DarkRings) count(pts []sensors.Point) {
	c := d.counts
	clear(c[:])
	// One step per point, without a branch (whether a firing returns
	// depends on the scene): the ring number's low byte indexes the
	// array, and the numbers are or-ed together to find, after the pass,
	// whether any lay past the array (only a malformed scan has such).
	var hi uint16
	for i := range pts {
		p := &pts[i]
		c[uint8(p.Ring)] += int32(b2u(math.Float32bits(p.Range)-1 < infBits-1))
		hi |= p.Ring
	}
	if hi < maxRings {
		return
	}
	clear(c[:])
	for i := range pts {
		if p := &pts[i]; p.Ring < maxRings {
			c[p.Ring] += int32(b2u(math.Float32bits(p.Range)-1 < infBits-1))
		}
	}
}

// elevationOrder returns the ring numbers in order of elevation, lowest
// first: by s.RingElevations when it covers every ring with a number, by
// ring number otherwise. The order is kept while the table does not
// change.
func (d *DarkRings) elevationOrder(s *sensors.Scan, rings int) []int {
	el := s.RingElevations
	table := len(el) >= rings
	for _, e := range el[:min(len(el), rings)] {
		table = table && !math.IsNaN(float64(e))
	}
	if !table {
		el = nil
	} else {
		el = el[:rings]
	}
	if len(d.order) == rings && slices.Equal(d.elev, el) {
		return d.order
	}
	d.order = d.order[:0]
	for r := range rings {
		d.order = append(d.order, r)
	}
	if el != nil {
		slices.SortStableFunc(d.order, func(a, b int) int {
			switch {
			case el[a] < el[b]:
				return -1
			case el[a] > el[b]:
				return 1
			}
			return 0
		})
		d.elev = append(d.elev[:0], el...)
	} else {
		d.elev = nil
	}
	return d.order
}

// Level is the level the frame asks for: ERROR with a dark ring, OK
// without one or without a verdict.
func (r DarkResult) Level() level.Level {
	if r.Dark > 0 {
		return level.Error
	}
	return level.OK
}
