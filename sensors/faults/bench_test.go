package faults

import (
	"testing"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// BenchmarkInjector times one frame through each fault at severity 2: a
// full VLP-16 revolution (16 × 1800 cells) for LiDAR faults, a 320×240
// grayscale frame for camera and stream faults.
func BenchmarkInjector(b *testing.B) {
	w, err := sim.NewWorld(sim.WorldOptions{})
	if err != nil {
		b.Fatal(err)
	}
	l, _ := sim.NewLidar(w, sim.LidarOptions{})
	c, _ := sim.NewCamera(w, sim.CameraOptions{})
	scan, img := l.Scan(20), c.Image(20)
	for _, sp := range Catalogue() {
		kind, in := sensors.KindCamera, sensors.Frame(img)
		if sp.Class == ClassLidar {
			kind, in = sensors.KindLidar, scan
		}
		b.Run(sp.Class.String()+"/"+sp.Name, func(b *testing.B) {
			inj, err := New(kind, Config{Fault: sp.Name, Severity: 2, Seed: 1, Period: 100e6})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				inj.Inject(in)
			}
		})
	}
}
