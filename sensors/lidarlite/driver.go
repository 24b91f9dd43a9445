package lidarlite

import (
	"fmt"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// DriverOptions are the keys of a lidarlite sensor entry.
type DriverOptions struct {
	Bus     string `yaml:"bus"`     // I²C bus, e.g. /dev/i2c-1 (required)
	Address string `yaml:"address"` // 7-bit I²C address (default 0x62)
}

// Driver is the lidarlite driver: a Garmin LIDAR-Lite v3 on I²C, opened in
// Run.
func Driver() sensorreg.Driver {
	return sensorreg.New("lidarlite", func() DriverOptions { return DriverOptions{} },
		func(s sensorreg.Sensor, o DriverOptions) (sensors.Source, error) {
			if o.Bus == "" {
				return nil, sensorreg.Keyf("bus", "driver lidarlite needs bus (the I²C bus)")
			}
			addr, err := sensorreg.ParseI2CAddr(o.Address, DefaultAddr)
			if err != nil {
				return nil, sensorreg.Key("address", err)
			}
			opts := SourceOptions{Name: s.Name, Address: fmt.Sprintf("%s@%#x", o.Bus, addr), Period: s.Period}
			opts.Dev.Addr = addr
			src, err := NewSource(OpenI2C(o.Bus), opts)
			if err != nil {
				return nil, err
			}
			return src, nil
		})
}
