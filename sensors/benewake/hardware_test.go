package benewake

import (
	"os"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

// TestHardwareUART reads a real TF-Luna or TFmini-S when
// TRUSTAGENT_BENEWAKE_UART names its serial port.
func TestHardwareUART(t *testing.T) {
	port := os.Getenv("TRUSTAGENT_BENEWAKE_UART")
	if port == "" {
		t.Skip("no Benewake sensor on UART: set TRUSTAGENT_BENEWAKE_UART=/dev/serial0 to run against hardware")
	}
	s, err := NewUARTSource(OpenSerial(port, 115200), SourceOptions{Name: "hw", Address: port})
	if err != nil {
		t.Fatal(err)
	}
	sensortest.RunWith(t, sensortest.Options{Frames: 20}, func(*testing.T) sensors.Source { return s })
	t.Logf("counters %+v", s.Counters())
}

// TestHardwareI2C reads a real TF-Luna on the I²C bus named by
// TRUSTAGENT_TFLUNA_I2C (e.g. 1) at 0x10.
func TestHardwareI2C(t *testing.T) {
	bus := os.Getenv("TRUSTAGENT_TFLUNA_I2C")
	if bus == "" {
		t.Skip("no TF-Luna on I²C: set TRUSTAGENT_TFLUNA_I2C=1 to run against hardware")
	}
	s, err := NewI2CSource(OpenI2C(bus), I2COpts{}, SourceOptions{Name: "hw", Address: bus + "@0x10", Period: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sensortest.RunWith(t, sensortest.Options{Frames: 20}, func(*testing.T) sensors.Source { return s })
	t.Logf("counters %+v", s.Counters())
}
