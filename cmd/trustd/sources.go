package main

import (
	"fmt"
	"strconv"

	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/arducam"
	"github.com/sensortrust/trustagent/sensors/benewake"
	"github.com/sensortrust/trustagent/sensors/lidarlite"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/rplidar"
	"github.com/sensortrust/trustagent/sensors/v4l2"
	"github.com/sensortrust/trustagent/sensors/velodyne"
)

// newSource builds the source a sensor entry describes. Opening the device
// happens in the source's Run (with reconnects), never here, so a sensor
// that is unplugged at start-up shows as STALE instead of stopping trustd.
func newSource(s config.Sensor, sims *simSet) (sensors.Source, error) {
	switch s.Driver {
	case "velodyne":
		return velodyne.NewUDPSource(velodyne.UDPOptions{Name: s.Name, Addr: s.Address})
	case "recorded":
		d, err := recorded.OpenDir(s.Dir, recorded.DirOptions{Sensor: s.Name, Model: s.Lidar})
		if err != nil {
			return nil, err
		}
		opts, err := recorded.ParsePacing(s.Pacing)
		if err != nil {
			return nil, err
		}
		return recorded.NewSource(d, opts)
	case "rplidar":
		opts := rplidar.SourceOptions{Name: s.Name, Address: s.Address, Period: s.Period}
		if s.Motor != "" {
			m, err := rplidar.ParseMotor(s.Motor)
			if err != nil {
				return nil, err
			}
			opts.Dev.Motor = m
		}
		opts.Dev.PWM = uint16(s.PWM)
		return rplidar.NewSource(rplidar.OpenSerial(s.Address, baud(s, 115200)), opts)
	case "tfluna", "tfmini-s":
		model := benewake.TFLuna
		if s.Driver == "tfmini-s" {
			model = benewake.TFminiS
		}
		opts := benewake.SourceOptions{Name: s.Name, Model: model, Period: s.Period}
		if s.Bus != "" {
			addr, err := i2cAddress(s.Address, 0x10)
			if err != nil {
				return nil, err
			}
			opts.Address = fmt.Sprintf("%s@%#x", s.Bus, addr)
			return benewake.NewI2CSource(benewake.OpenI2C(s.Bus), benewake.I2COpts{Addr: addr, Trigger: s.Trigger}, opts)
		}
		opts.Address = s.Address
		return benewake.NewUARTSource(benewake.OpenSerial(s.Address, baud(s, 115200)), opts)
	case "lidarlite":
		addr, err := i2cAddress(s.Address, 0x62)
		if err != nil {
			return nil, err
		}
		opts := lidarlite.SourceOptions{Name: s.Name, Address: fmt.Sprintf("%s@%#x", s.Bus, addr), Period: s.Period}
		opts.Dev.Addr = addr
		return lidarlite.NewSource(lidarlite.OpenI2C(s.Bus), opts)
	case "v4l2":
		opts := v4l2.SourceOptions{Name: s.Name, Address: s.Address, Period: s.Period}
		opts.Camera.Width, opts.Camera.Height = uint32(s.Width), uint32(s.Height)
		return v4l2.NewSource(v4l2.Opener(s.Address), opts)
	case "arducam":
		return arducam.NewSource(arducam.OpenBuses(s.SPI, s.Bus),
			arducam.SourceOptions{Name: s.Name, Address: s.SPI + "+" + s.Bus, Period: s.Period})
	case "sim-lidar", "sim-camera":
		return sims.source(s)
	}
	return nil, fmt.Errorf("sensor %s: driver %q is not built into trustd", s.Name, s.Driver)
}

func baud(s config.Sensor, def int) int {
	if s.Baud > 0 {
		return s.Baud
	}
	return def
}

// i2cAddress parses "0x10" or "16"; empty gives def.
func i2cAddress(s string, def uint16) (uint16, error) {
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseUint(s, 0, 16)
	if err != nil || v > 0x7f {
		return 0, fmt.Errorf("i2c address %q is not a 7-bit address like 0x10", s)
	}
	return uint16(v), nil
}
