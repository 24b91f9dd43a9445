package recorded

import (
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// DriverOptions are the keys of a recorded sensor entry.
type DriverOptions struct {
	Dir    string `yaml:"dir"`    // folder of frames (required)
	Pacing string `yaml:"pacing"` // realtime (default), fast, loop, fast-loop; see ParsePacing
	Lidar  string `yaml:"lidar"`  // LiDAR model of KITTI scans, e.g. VLP-16 (assigns rings)
}

// Driver is the recorded driver: a folder of frames played back. Building
// it indexes the folder (a recording named by the configuration must
// exist); frames are read in Run.
func Driver() sensorreg.Driver {
	return sensorreg.New("recorded", func() DriverOptions { return DriverOptions{} },
		func(s sensorreg.Sensor, o DriverOptions) (sensors.Source, error) {
			if o.Dir == "" {
				return nil, sensorreg.Keyf("dir", "driver recorded needs dir (the folder of frames)")
			}
			so, err := ParsePacing(o.Pacing)
			if err != nil {
				return nil, sensorreg.Key("pacing", err)
			}
			if err := checkModel(o.Lidar); err != nil {
				return nil, sensorreg.Key("lidar", err)
			}
			d, err := OpenDir(o.Dir, DirOptions{Sensor: s.Name, Model: o.Lidar})
			if err != nil {
				return nil, sensorreg.Key("dir", err)
			}
			src, err := NewSource(d, so)
			if err != nil {
				return nil, err
			}
			return src, nil
		})
}
