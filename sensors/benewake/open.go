package benewake

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.bug.st/serial"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"
)

// OpenSerial returns an opener for NewUARTSource: the serial port at path
// (e.g. /dev/ttyUSB0, /dev/serial0), 8N1 at baud (115200 when 0), with a
// 100 ms read timeout so reads return to check for cancellation.
func OpenSerial(path string, baud int) func(context.Context) (io.ReadCloser, error) {
	if baud == 0 {
		baud = 115200
	}
	return func(context.Context) (io.ReadCloser, error) {
		p, err := serial.Open(path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
		if err != nil {
			return nil, err
		}
		if err := p.SetReadTimeout(100 * time.Millisecond); err != nil {
			p.Close()
			return nil, err
		}
		return p, nil
	}
}

// OpenI2C returns an opener for NewI2CSource: the I²C bus named bus in
// periph's registry ("" for the first, "1" or "/dev/i2c-1" for bus 1).
func OpenI2C(bus string) func(context.Context) (i2c.BusCloser, error) {
	return func(context.Context) (i2c.BusCloser, error) {
		if _, err := host.Init(); err != nil {
			return nil, fmt.Errorf("periph host init: %w", err)
		}
		return i2creg.Open(bus)
	}
}
