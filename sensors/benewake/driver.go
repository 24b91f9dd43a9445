package benewake

import (
	"fmt"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// LunaOptions are the keys of a tfluna sensor entry: on UART by default,
// on I²C when Bus is set.
type LunaOptions struct {
	Bus     string `yaml:"bus"`     // I²C bus, e.g. /dev/i2c-1; empty: UART
	Address string `yaml:"address"` // serial device (UART, required) or 7-bit I²C address (default 0x10)
	Baud    int    `yaml:"baud"`    // UART baud rate (default 115200)
	Trigger bool   `yaml:"trigger"` // I²C: one-shot trigger mode
}

// MiniSOptions are the keys of a tfmini-s sensor entry (UART only).
type MiniSOptions struct {
	Address string `yaml:"address"` // serial device (required)
	Baud    int    `yaml:"baud"`    // default 115200
}

// Drivers are the tfluna and tfmini-s drivers; the device is opened in Run.
func Drivers() []sensorreg.Driver {
	return []sensorreg.Driver{
		sensorreg.New("tfluna", func() LunaOptions { return LunaOptions{} }, buildLuna),
		sensorreg.New("tfmini-s", func() MiniSOptions { return MiniSOptions{} },
			func(s sensorreg.Sensor, o MiniSOptions) (sensors.Source, error) {
				return buildUART(s, TFminiS, o.Address, o.Baud)
			}),
	}
}

func buildLuna(s sensorreg.Sensor, o LunaOptions) (sensors.Source, error) {
	if o.Bus == "" {
		return buildUART(s, TFLuna, o.Address, o.Baud)
	}
	addr, err := sensorreg.ParseI2CAddr(o.Address, DefaultI2CAddr)
	if err != nil {
		return nil, sensorreg.Key("address", err)
	}
	opts := SourceOptions{Name: s.Name, Model: TFLuna, Period: s.Period, Address: fmt.Sprintf("%s@%#x", o.Bus, addr)}
	src, err := NewI2CSource(OpenI2C(o.Bus), I2COpts{Addr: addr, Trigger: o.Trigger}, opts)
	if err != nil {
		return nil, err
	}
	return src, nil
}

func buildUART(s sensorreg.Sensor, model Model, address string, baud int) (sensors.Source, error) {
	if address == "" {
		return nil, sensorreg.Keyf("address", "driver %s needs address (the serial device)", model.driverName())
	}
	if baud < 0 {
		return nil, sensorreg.Keyf("baud", "%d is negative", baud)
	}
	opts := SourceOptions{Name: s.Name, Model: model, Period: s.Period, Address: address}
	src, err := NewUARTSource(OpenSerial(address, baud), opts)
	if err != nil {
		return nil, err
	}
	return src, nil
}

// driverName is the model's driver key.
func (m Model) driverName() string {
	if m == TFminiS {
		return "tfmini-s"
	}
	return "tfluna"
}
