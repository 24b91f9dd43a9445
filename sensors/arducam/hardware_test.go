package arducam

import (
	"os"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

// TestHardware captures from a real ArduCAM Mini 2MP when TRUSTAGENT_ARDUCAM
// is "SPIPORT,I2CBUS" (e.g. "/dev/spidev0.0,1").
func TestHardware(t *testing.T) {
	v := os.Getenv("TRUSTAGENT_ARDUCAM")
	if v == "" {
		t.Skip("no ArduCAM attached: set TRUSTAGENT_ARDUCAM=/dev/spidev0.0,1 to run against hardware")
	}
	var spiName, i2cName string
	for i := range v {
		if v[i] == ',' {
			spiName, i2cName = v[:i], v[i+1:]
		}
	}
	s, err := NewSource(OpenBuses(spiName, i2cName), SourceOptions{Name: "hw", Address: v})
	if err != nil {
		t.Fatal(err)
	}
	sensortest.RunWith(t, sensortest.Options{Frames: 3, FrameTimeout: 10 * time.Second, StopTimeout: 3 * time.Second}, func(*testing.T) sensors.Source { return s })
	t.Logf("counters %+v", s.Counters())
}
