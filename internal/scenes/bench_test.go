package scenes

import (
	"context"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

// benchScene times a drive of 400 frames (all of a shorter video) of the
// first catalogued scene of the origin, default size (one op = one drive).
// cpu-s/op counts the CPU time of every core and of ffmpeg.
func benchScene(b *testing.B, kind sensors.Kind, origin Origin) {
	ctx := context.Background()
	list, _ := Catalogue(ctx, kind)
	for _, s := range list {
		if s.Origin != origin {
			continue
		}
		n := 400
		if s.Len > 0 {
			n = min(n, s.Len)
		}
		cpu0 := cpuTime()
		for b.Loop() {
			if _, err := s.Drive(ctx, DriveOptions{Frames: n}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n), "frames/op")
		if cpu := cpuTime() - cpu0; cpu > 0 {
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		}
		return
	}
	b.Skipf("no %v scene of origin %v here", kind, origin)
}

func BenchmarkDriveSimCamera(b *testing.B) { benchScene(b, sensors.KindCamera, OriginSim) }
func BenchmarkDriveVideo(b *testing.B)     { benchScene(b, sensors.KindCamera, OriginVideo) }
func BenchmarkDriveStill(b *testing.B)     { benchScene(b, sensors.KindCamera, OriginStill) }
func BenchmarkDriveSimLidar(b *testing.B)  { benchScene(b, sensors.KindLidar, OriginSim) }
func BenchmarkDriveCapture(b *testing.B)   { benchScene(b, sensors.KindLidar, OriginCapture) }
func BenchmarkDriveScan(b *testing.B)      { benchScene(b, sensors.KindLidar, OriginScan) }
