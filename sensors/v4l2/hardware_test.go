package v4l2

import (
	"os"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

// TestHardware streams a real camera when TRUSTAGENT_V4L2 names its device
// node (e.g. /dev/video0).
func TestHardware(t *testing.T) {
	path := os.Getenv("TRUSTAGENT_V4L2")
	if path == "" {
		t.Skip("no camera: set TRUSTAGENT_V4L2=/dev/video0 to run against hardware")
	}
	s, err := NewSource(Opener(path), SourceOptions{Name: "hw", Address: path})
	if err != nil {
		t.Fatal(err)
	}
	sensortest.RunWith(t, sensortest.Options{Frames: 10, FrameTimeout: 10 * time.Second, StopTimeout: 2 * time.Second}, func(*testing.T) sensors.Source { return s })
	t.Logf("counters %+v", s.Counters())
}
