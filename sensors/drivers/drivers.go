package drivers

import (
	"github.com/sensortrust/trustagent/sensors/arducam"
	"github.com/sensortrust/trustagent/sensors/benewake"
	"github.com/sensortrust/trustagent/sensors/lidarlite"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/rplidar"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
	"github.com/sensortrust/trustagent/sensors/sim/simdriver"
	"github.com/sensortrust/trustagent/sensors/v4l2"
	"github.com/sensortrust/trustagent/sensors/velodyne"
)

// Registry returns a new registry of trustd's drivers: arducam, lidarlite,
// recorded, rplidar, sim-camera, sim-lidar, tfluna, tfmini-s, v4l2 and
// velodyne.
func Registry() (*sensorreg.Registry, error) {
	ds := []sensorreg.Driver{
		velodyne.Driver(),
		recorded.Driver(),
		rplidar.Driver(),
		lidarlite.Driver(),
		v4l2.Driver(),
		arducam.Driver(),
	}
	ds = append(ds, benewake.Drivers()...)
	ds = append(ds, simdriver.Drivers()...)
	return sensorreg.NewRegistry(ds...)
}
