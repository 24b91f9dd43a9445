package rplidar

import (
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// DriverOptions are the keys of an rplidar sensor entry.
type DriverOptions struct {
	Address string `yaml:"address"` // serial device, e.g. /dev/ttyUSB0 (required)
	Baud    int    `yaml:"baud"`    // default 115200
	Motor   string `yaml:"motor"`   // dtr (A1, default), pwm (A2), none
	PWM     int    `yaml:"pwm"`     // A2 motor duty, 0..1023 (0: DefaultPWM)
}

// Driver is the rplidar driver: an RPLIDAR A1/A2 on a serial port, opened
// in Run.
func Driver() sensorreg.Driver {
	return sensorreg.New("rplidar", func() DriverOptions { return DriverOptions{} },
		func(s sensorreg.Sensor, o DriverOptions) (sensors.Source, error) {
			if o.Address == "" {
				return nil, sensorreg.Keyf("address", "driver rplidar needs address (the serial device)")
			}
			if o.Baud < 0 {
				return nil, sensorreg.Keyf("baud", "%d is negative", o.Baud)
			}
			opts := SourceOptions{Name: s.Name, Address: o.Address, Period: s.Period}
			m, err := ParseMotor(o.Motor)
			if err != nil {
				return nil, sensorreg.Key("motor", err)
			}
			opts.Dev.Motor = m
			if o.PWM < 0 || o.PWM > 1023 {
				return nil, sensorreg.Keyf("pwm", "%d is outside 0..1023", o.PWM)
			}
			opts.Dev.PWM = uint16(o.PWM)
			src, err := NewSource(OpenSerial(o.Address, o.Baud), opts)
			if err != nil {
				return nil, err
			}
			return src, nil
		})
}
