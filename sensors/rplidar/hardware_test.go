package rplidar

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

// TestHardware runs a real RPLIDAR when TRUSTAGENT_RPLIDAR names its serial
// port (e.g. /dev/ttyUSB0); TRUSTAGENT_RPLIDAR_MOTOR=pwm for an A2. With
// TRUSTAGENT_RECORD=file the bytes the device sent are saved, to turn into
// a transcript test.
func TestHardware(t *testing.T) {
	port := os.Getenv("TRUSTAGENT_RPLIDAR")
	if port == "" {
		t.Skip("no RPLIDAR attached: set TRUSTAGENT_RPLIDAR=/dev/ttyUSB0 to run against hardware")
	}
	motor, err := ParseMotor(os.Getenv("TRUSTAGENT_RPLIDAR_MOTOR"))
	if err != nil {
		t.Fatal(err)
	}
	open := OpenSerial(port, 115200)
	if path := os.Getenv("TRUSTAGENT_RECORD"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		inner := open
		open = func(ctx context.Context) (io.ReadWriteCloser, error) {
			rw, err := inner(ctx)
			if err != nil {
				return nil, err
			}
			return &teeRW{rw, f}, nil
		}
	}
	s, err := NewSource(open, SourceOptions{Name: "hw", Address: port, Dev: Opts{Motor: motor}})
	if err != nil {
		t.Fatal(err)
	}
	sensortest.RunWith(t, sensortest.Options{Frames: 5, FrameTimeout: 10 * time.Second, StopTimeout: 2 * time.Second}, func(*testing.T) sensors.Source { return s })
	di, _ := s.DeviceInfo()
	t.Logf("%s firmware %d.%d hardware %d serial %s; counters %+v", di.ModelName(), di.FirmwareMajor, di.FirmwareMinor, di.Hardware, di.SerialHex(), s.Counters())
}

type teeRW struct {
	io.ReadWriteCloser
	w io.Writer
}

func (t *teeRW) Read(p []byte) (int, error) {
	n, err := t.ReadWriteCloser.Read(p)
	t.w.Write(p[:n])
	return n, err
}

// SetDTR passes the modem line through to the port.
func (t *teeRW) SetDTR(v bool) error {
	if d, ok := t.ReadWriteCloser.(DTRSetter); ok {
		return d.SetDTR(v)
	}
	return nil
}
