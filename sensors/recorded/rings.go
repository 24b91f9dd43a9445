package recorded

import (
	"fmt"
	"math"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/velodyne"
)

// ModelVLP16 names the Velodyne VLP-16 in DirOptions.Model.
const ModelVLP16 = "VLP-16"

// checkModel validates a model name ("" means unknown).
func checkModel(m string) error {
	switch m {
	case "", ModelVLP16:
		return nil
	}
	return fmt.Errorf("recorded: unknown sensor model %q (known: %q)", m, ModelVLP16)
}

// assignRings gives each return the ring of the named model whose elevation
// is nearest to the point's, and fills Rings and RingElevations.
func assignRings(s *sensors.Scan, model string) {
	if model != ModelVLP16 {
		return
	}
	s.Rings = velodyne.Lasers
	s.RingElevations = velodyne.Elevations()
	for i := range s.Points {
		p := &s.Points[i]
		if !(p.Range > 0) {
			continue
		}
		h := math.Hypot(float64(p.X), float64(p.Y))
		elev := math.Atan2(float64(p.Z), h) * 180 / math.Pi
		p.Ring = uint16(velodyne.NearestLaser(elev))
	}
}

func vlp16Elevations() []float32 { return velodyne.Elevations() }
