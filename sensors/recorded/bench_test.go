package recorded

import (
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// BenchmarkDecodeKITTI measures reading one ~29k-point KITTI frame (a
// VLP-16 revolution) into a reused point slice.
func BenchmarkDecodeKITTI(b *testing.B) {
	s := testScan(0, time.Time{})
	for len(s.Points) < 29000 {
		s.Points = append(s.Points, s.Points[1:50]...)
	}
	raw := AppendKITTI(nil, s.Points)
	n := len(raw) / kittiRecord
	var pts []sensors.Point
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		pts, _, err = DecodeKITTI(raw, pts[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
