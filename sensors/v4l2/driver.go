package v4l2

import (
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// DriverOptions are the keys of a v4l2 sensor entry.
type DriverOptions struct {
	Address string `yaml:"address"` // device node, e.g. /dev/video0 (required)
	Width   int    `yaml:"width"`   // wanted size (default 640×480); the closest offered is used
	Height  int    `yaml:"height"`
}

// Driver is the v4l2 driver: a USB or CSI camera, opened in Run.
func Driver() sensorreg.Driver {
	return sensorreg.New("v4l2", func() DriverOptions { return DriverOptions{} },
		func(s sensorreg.Sensor, o DriverOptions) (sensors.Source, error) {
			if o.Address == "" {
				return nil, sensorreg.Keyf("address", "driver v4l2 needs address (the device node)")
			}
			if err := checkSize(o.Width, o.Height); err != nil {
				return nil, err
			}
			opts := SourceOptions{Name: s.Name, Address: o.Address, Period: s.Period}
			opts.Camera.Width, opts.Camera.Height = uint32(o.Width), uint32(o.Height)
			src, err := NewSource(Opener(o.Address), opts)
			if err != nil {
				return nil, err
			}
			return src, nil
		})
}

// checkSize refuses image sizes no camera has.
func checkSize(w, h int) error {
	if w < 0 || w > 8192 {
		return sensorreg.Keyf("width", "%d is outside 0..8192", w)
	}
	if h < 0 || h > 8192 {
		return sensorreg.Keyf("height", "%d is outside 0..8192", h)
	}
	return nil
}
