package recorded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/sensortrust/trustagent/sensors"
)

// kittiRecord is the size of one KITTI velodyne point: 4 × float32.
const kittiRecord = 16

// ErrTruncated is returned (wrapped) when a file ends inside a record.
var ErrTruncated = errors.New("recorded: truncated")

// DecodeKITTI appends the points of a KITTI velodyne .bin file to dst and
// returns it. Points with non-finite coordinates are skipped and counted in
// skipped. Intensity is left as stored; normalise it with NormalizeIntensity.
// Ring, Offset stay 0; Range and Azimuth are computed from x, y, z.
func DecodeKITTI(b []byte, dst []sensors.Point) (pts []sensors.Point, skipped int, err error) {
	if len(b)%kittiRecord != 0 {
		return dst, 0, fmt.Errorf("%w: %d bytes is not a multiple of %d", ErrTruncated, len(b), kittiRecord)
	}
	n := len(b) / kittiRecord
	if cap(dst)-len(dst) < n {
		grown := make([]sensors.Point, len(dst), len(dst)+n)
		copy(grown, dst)
		dst = grown
	}
	for i := 0; i < n; i++ {
		r := b[i*kittiRecord:]
		x := math.Float32frombits(binary.LittleEndian.Uint32(r[0:]))
		y := math.Float32frombits(binary.LittleEndian.Uint32(r[4:]))
		z := math.Float32frombits(binary.LittleEndian.Uint32(r[8:]))
		in := math.Float32frombits(binary.LittleEndian.Uint32(r[12:]))
		p, ok := pointXYZI(x, y, z, in)
		if !ok {
			skipped++
			continue
		}
		dst = append(dst, p)
	}
	return dst, skipped, nil
}

// AppendKITTI appends the returns of pts (Range > 0) as KITTI records.
func AppendKITTI(b []byte, pts []sensors.Point) []byte {
	for i := range pts {
		p := &pts[i]
		if !(p.Range > 0) {
			continue
		}
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.X))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Y))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Z))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Intensity))
	}
	return b
}

// pointXYZI builds a point from Cartesian coordinates; ok is false for
// non-finite coordinates or range. A point at the origin is a no-return (Range 0).
func pointXYZI(x, y, z, intensity float32) (sensors.Point, bool) {
	if !finite(x) || !finite(y) || !finite(z) {
		return sensors.Point{}, false
	}
	if !finite(intensity) || intensity < 0 {
		intensity = 0
	}
	fx, fy, fz := float64(x), float64(y), float64(z)
	r := math.Sqrt(fx*fx + fy*fy + fz*fz)
	if r > math.MaxFloat32 {
		return sensors.Point{}, false // finite coordinates, but a range float32 cannot hold
	}
	az := math.Atan2(fx, fy) // clockwise from forward (+y)
	if az < 0 {
		az += 2 * math.Pi
	}
	if az >= 2*math.Pi {
		az = 0
	}
	return sensors.Point{X: x, Y: y, Z: z, Intensity: intensity, Range: float32(r), Azimuth: float32(az)}, true
}

func finite(f float32) bool {
	return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0)
}

// NormalizeIntensity maps intensities to [0, 1]: if any exceeds 1 the
// points are taken to be on the 0–255 scale (Velodyne reflectivity, most
// PCD exports) and divided by 255; values are then clamped to [0, 1].
func NormalizeIntensity(pts []sensors.Point) {
	scale := float32(1)
	for i := range pts {
		if pts[i].Intensity > 1 {
			scale = 1.0 / 255
			break
		}
	}
	for i := range pts {
		v := pts[i].Intensity * scale
		if v > 1 {
			v = 1
		}
		pts[i].Intensity = v
	}
}
