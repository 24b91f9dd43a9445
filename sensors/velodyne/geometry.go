package velodyne

import "math"

// Lasers is the number of lasers of a VLP-16.
const Lasers = 16

// ElevationDeg returns the elevation of VLP-16 laser id in degrees
// (VLP-16 manual, laser elevation table): even ids −15, −13, …, −1; odd ids 1, 3, …, 15.
// Ids outside 0–15 return NaN.
func ElevationDeg(id int) float64 {
	switch {
	case id < 0 || id >= Lasers:
		return math.NaN()
	case id%2 == 1:
		return float64(id)
	default:
		return float64(id - 15)
	}
}

// Elevations returns the VLP-16 elevations in radians indexed by laser id,
// as sensors.Scan.RingElevations wants them. The slice is new on each call.
func Elevations() []float32 {
	e := make([]float32, Lasers)
	for i := range e {
		e[i] = float32(ElevationDeg(i) * math.Pi / 180)
	}
	return e
}

// NearestLaser returns the VLP-16 laser id whose elevation is closest to
// elevDeg (degrees). It is how a point cloud without ring ids (KITTI .bin)
// gets them back; angles beyond ±15° map to the outermost laser.
func NearestLaser(elevDeg float64) int {
	if math.IsNaN(elevDeg) {
		return 0
	}
	// The elevations are the odd integers −15…15: round to the nearest one.
	k := 2*math.Round((elevDeg-1)/2) + 1
	k = math.Max(-15, math.Min(15, k))
	if k > 0 {
		return int(k)
	}
	return int(k) + 15
}
