package recorded

import (
	"fmt"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
)

// DriverOptions are the keys of a recorded sensor entry.
type DriverOptions struct {
	Dir    string `yaml:"dir"`    // folder of frames (required)
	Pacing string `yaml:"pacing"` // realtime (default), fast, loop, fast-loop; see ParsePacing
	Lidar  string `yaml:"lidar"`  // LiDAR model of KITTI scans, e.g. VLP-16 (assigns rings)
	// Kind is what the folder holds, lidar or camera; needed only to judge
	// the sensor with a model when the folder is not readable at start.
	Kind string `yaml:"kind"`
}

// Driver is the recorded driver: a folder of frames played back. Building
// it indexes the folder; frames are read in Run. A folder that is missing,
// empty, mixes formats or holds the wrong kind of frames does not stop the
// daemon: the source is built pending (see NewPendingSource), its sensor is
// STALE with the reason, and the folder is read again until it plays.
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
			kind := sensors.KindUnknown
			if o.Kind != "" {
				k, ok := sensors.ParseKind(o.Kind)
				if !ok || (k != sensors.KindLidar && k != sensors.KindCamera) {
					return nil, sensorreg.Keyf("kind", "kind %q is not lidar or camera", o.Kind)
				}
				kind = k
			}
			dopts := DirOptions{Sensor: s.Name, Model: o.Lidar}
			d, err := OpenDir(o.Dir, dopts)
			if err == nil && kind != sensors.KindUnknown && d.Kind() != kind {
				err = fmt.Errorf("recorded: %s holds %s frames, but kind is %s", o.Dir, d.Kind(), kind)
			}
			if err != nil {
				return NewPendingSource(o.Dir, dopts, kind, so, err)
			}
			return NewSource(d, so)
		})
}
