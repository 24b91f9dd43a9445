package drivers_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/drivers"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// TestKeysAndBuild pins each driver's keys (configurations written for
// earlier releases must keep loading) and builds each from its smallest
// entry: no device is opened, so this passes on a machine without sensors.
func TestKeysAndBuild(t *testing.T) {
	rec := t.TempDir()
	if err := os.WriteFile(filepath.Join(rec, "000000.pgm"), []byte("P5\n2 2\n255\n\x00\x40\x80\xff"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		driver  string
		keys    []string
		options string
		kind    sensors.Kind
	}{
		{"velodyne", []string{"address"}, "{}", sensors.KindLidar},
		{"recorded", []string{"dir", "kind", "lidar", "pacing"}, "{dir: " + rec + ", pacing: loop}", sensors.KindCamera},
		{"rplidar", []string{"address", "baud", "motor", "pwm"}, "{address: /dev/ttyUSB0, motor: pwm, pwm: 600}", sensors.KindLidar},
		{"tfluna", []string{"address", "baud", "bus", "trigger"}, "{bus: /dev/i2c-1, address: 0x10, trigger: true}", sensors.KindRange},
		{"tfmini-s", []string{"address", "baud"}, "{address: /dev/serial0}", sensors.KindRange},
		{"lidarlite", []string{"address", "bus"}, "{bus: /dev/i2c-1}", sensors.KindRange},
		{"v4l2", []string{"address", "height", "width"}, "{address: /dev/video0, width: 640, height: 480}", sensors.KindCamera},
		{"arducam", []string{"bus", "height", "spi", "width"}, "{spi: /dev/spidev0.0, bus: /dev/i2c-1}", sensors.KindCamera},
		{"sim-lidar", []string{"scenario", "seed"}, "{scenario: default}", sensors.KindLidar},
		{"sim-camera", []string{"height", "scenario", "seed", "width"}, "{width: 64, height: 48}", sensors.KindCamera},
	}
	reg, err := drivers.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cases {
		names = append(names, c.driver)
		t.Run(c.driver, func(t *testing.T) {
			d, ok := reg.Driver(c.driver)
			if !ok {
				t.Fatal("not registered")
			}
			if got := d.Keys(); !slices.Equal(got, c.keys) {
				t.Errorf("keys %v, want %v", got, c.keys)
			}
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(c.options), &doc); err != nil {
				t.Fatal(err)
			}
			opts, err := d.Decode(doc.Content[0])
			if err != nil {
				t.Fatal(err)
			}
			src, err := d.Build(sensorreg.Sensor{Name: "s0", Start: time.Now()}, opts)
			if err != nil {
				t.Fatal(err)
			}
			info := src.Info()
			if info.Name != "s0" || info.Kind != c.kind || info.Period <= 0 {
				t.Errorf("Info %+v", info)
			}
		})
	}
	slices.Sort(names)
	if got := reg.Names(); !slices.Equal(got, names) {
		t.Errorf("registered %v, tested %v", got, names)
	}
}
