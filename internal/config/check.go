package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// Check does what the daemon does with a valid configuration before it
// starts anything, short of starting it: it builds every sensor's source
// (no device is opened; a recording folder or a scenario file named by the
// configuration is read) and reads the MQTT TLS and password files. trustd
// --check-config and the daemon's start both call it, so a configuration
// that passes is one the daemon starts with; what is left to fail at start
// is the machine (a port in use, a read-only state directory), not the file.
func (c *Config) Check() error {
	if _, err := c.Sources(time.Now()); err != nil {
		return err
	}
	if err := c.MQTTConfig().CheckFiles(); err != nil {
		return c.locate(mqttError(err))
	}
	return nil
}

// Sources builds the source of every sensor, in order, with the drivers the
// configuration was parsed with; start is the instant the simulated sensors
// and fault scenarios of this configuration start from. No device is
// opened: that happens in each source's Run.
func (c *Config) Sources(start time.Time) ([]sensors.Source, error) {
	if c.reg == nil {
		return nil, errors.New("config: not parsed with a driver registry")
	}
	out := make([]sensors.Source, 0, len(c.Sensors))
	for i, s := range c.Sensors {
		src, err := c.source(fmt.Sprintf("sensors[%d]", i), s, start)
		if err != nil {
			return nil, c.locate(err)
		}
		out = append(out, src)
	}
	return out, nil
}

// Unavailable lists the sensors whose data cannot be reached now (a
// recording folder that is missing or unusable), each error naming the
// key and line. The daemon starts anyway and shows these sensors STALE with
// the reason until their data comes; trustd --check-config prints them as
// warnings.
func (c *Config) Unavailable() []error {
	srcs, err := c.Sources(time.Now())
	if err != nil {
		return nil // Check reports it
	}
	var out []error
	for i, src := range srcs {
		u, ok := src.(sensors.Unavailable)
		if !ok || u.Unavailable() == nil {
			continue
		}
		e := bad(fmt.Sprintf("sensors[%d]", i), "sensor %s: %v; it will be STALE until this is fixed", c.Sensors[i].Name, u.Unavailable())
		out = append(out, c.locate(e))
	}
	return out
}

func (c *Config) source(key string, s Sensor, start time.Time) (sensors.Source, error) {
	d, ok := c.reg.Driver(s.Driver)
	if !ok {
		return nil, bad(key+".driver", "%q is not one of the drivers built in", s.Driver)
	}
	src, err := d.Build(sensorreg.Sensor{Name: s.Name, Period: s.Period, Start: start}, s.Options)
	var ke *sensorreg.KeyError
	switch {
	case errors.As(err, &ke):
		e := bad(key+"."+ke.Key, "%v", ke.Err)
		e.Err = ke.Err
		return nil, e
	case err != nil:
		e := bad(key+".driver", "%v", err)
		e.Err = err
		return nil, e
	}
	info := src.Info()
	if s.Period == 0 && info.Period <= 0 {
		return nil, bad(key+".period", "driver %s does not know its frame period: set period", s.Driver)
	}
	if info.Name != s.Name {
		return nil, bad(key+".name", "driver %s named its source %q", s.Driver, info.Name)
	}
	switch info.Kind {
	case sensors.KindLidar, sensors.KindCamera, sensors.KindRange:
	case sensors.KindUnknown:
		// A recording not there yet: stream checks judge it meanwhile.
		if u, ok := src.(sensors.Unavailable); ok && u.Unavailable() != nil {
			break
		}
		fallthrough
	default:
		return nil, bad(key+".driver", "driver %s delivers %v, which trustd does not judge", s.Driver, info.Kind)
	}
	return src, nil
}
