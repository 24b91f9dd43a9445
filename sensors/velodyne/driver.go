package velodyne

import (
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// DriverOptions are the keys of a velodyne sensor entry.
type DriverOptions struct {
	// Address is the local UDP address to bind, host:port (default
	// ":2368"); bind the interface wired to the sensor.
	Address string `yaml:"address"`
}

// Driver is the velodyne driver: a VLP-16 read from a live UDP socket.
func Driver() sensorreg.Driver {
	return sensorreg.New("velodyne", func() DriverOptions { return DriverOptions{} },
		func(s sensorreg.Sensor, o DriverOptions) (sensors.Source, error) {
			src, err := NewUDPSource(UDPOptions{Name: s.Name, Addr: o.Address})
			if err != nil {
				return nil, sensorreg.Key("address", err)
			}
			return src, nil
		})
}
