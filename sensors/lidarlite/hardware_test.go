package lidarlite

import (
	"os"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

// TestHardware reads a real LIDAR-Lite v3 on the I²C bus named by
// TRUSTAGENT_LIDARLITE_I2C (e.g. 1).
func TestHardware(t *testing.T) {
	bus := os.Getenv("TRUSTAGENT_LIDARLITE_I2C")
	if bus == "" {
		t.Skip("no LIDAR-Lite v3 attached: set TRUSTAGENT_LIDARLITE_I2C=1 to run against hardware")
	}
	s, err := NewSource(OpenI2C(bus), SourceOptions{Name: "hw", Address: bus + "@0x62"})
	if err != nil {
		t.Fatal(err)
	}
	sensortest.RunWith(t, sensortest.Options{Frames: 20}, func(*testing.T) sensors.Source { return s })
	t.Logf("counters %+v", s.Counters())
}
