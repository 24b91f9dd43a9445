package sim

import (
	"testing"
)

func benchWorld(b *testing.B) (*Lidar, *Camera) {
	b.Helper()
	w, err := NewWorld(WorldOptions{})
	if err != nil {
		b.Fatal(err)
	}
	l, err := NewLidar(w, LidarOptions{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewCamera(w, CameraOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return l, c
}

// BenchmarkLidarScan: one VLP-16 revolution (16 × 1800 rays).
func BenchmarkLidarScan(b *testing.B) {
	l, _ := benchWorld(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Scan(uint64(i * 7))
	}
}

// BenchmarkCameraImage: one 320×240 grayscale frame.
func BenchmarkCameraImage(b *testing.B) {
	_, c := benchWorld(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Image(uint64(i * 7))
	}
}

// BenchmarkSimSecond simulates one second of the robot's sensors on one
// core: 10 LiDAR revolutions and 15 camera frames at 320×240. Metrics:
// x_realtime is simulated seconds per wall-clock second; x_realtime_cpu is
// simulated seconds per CPU second of this process, which stays meaningful
// when other processes load the machine (run with -cpu 1).
func BenchmarkSimSecond(b *testing.B) {
	l, c := benchWorld(b)
	n := uint64(0)
	cpu0 := cpuTime()
	for b.Loop() {
		for k := uint64(0); k < 10; k++ {
			l.Scan(n*10 + k)
		}
		for k := uint64(0); k < 15; k++ {
			c.Image(n*15 + k)
		}
		n++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "x_realtime")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "x_realtime_cpu")
	}
}
