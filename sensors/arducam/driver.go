package arducam

import (
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// DriverOptions are the keys of an arducam sensor entry.
type DriverOptions struct {
	SPI string `yaml:"spi"` // SPI port, e.g. /dev/spidev0.0 (required)
	Bus string `yaml:"bus"` // I²C bus of the OV2640, e.g. /dev/i2c-1 (required)
	// Width and Height are accepted for older configurations; the image
	// size is set by the sensor's register set-up (Opts.Init).
	Width  int `yaml:"width"`
	Height int `yaml:"height"`
}

// Driver is the arducam driver: an ArduCAM Mini 2MP on SPI and I²C, opened
// in Run.
func Driver() sensorreg.Driver {
	return sensorreg.New("arducam", func() DriverOptions { return DriverOptions{} },
		func(s sensorreg.Sensor, o DriverOptions) (sensors.Source, error) {
			if o.SPI == "" {
				return nil, sensorreg.Keyf("spi", "driver arducam needs spi (the SPI port)")
			}
			if o.Bus == "" {
				return nil, sensorreg.Keyf("bus", "driver arducam needs bus (the I²C bus)")
			}
			if o.Width < 0 || o.Width > 8192 {
				return nil, sensorreg.Keyf("width", "%d is outside 0..8192", o.Width)
			}
			if o.Height < 0 || o.Height > 8192 {
				return nil, sensorreg.Keyf("height", "%d is outside 0..8192", o.Height)
			}
			src, err := NewSource(OpenBuses(o.SPI, o.Bus),
				SourceOptions{Name: s.Name, Address: o.SPI + "+" + o.Bus, Period: s.Period})
			if err != nil {
				return nil, err
			}
			return src, nil
		})
}
