// Package sensors defines what a robot's sensors deliver to the trust agent:
// the frame types (a LiDAR scan, a camera image, a single-beam range reading)
// and the one small contract every source implements.
//
// Drivers live in subpackages, one per device family (velodyne, rplidar,
// benewake, lidarlite, v4l2, arducam), recorded data in recorded, the
// simulator in sim and the fault injectors in faults. sensortest holds the
// conformance test every Source passes and fakes for the rest of the project.
// sensorreg is the driver registry: each driver package describes its keys
// and constructor in a sensorreg.Driver (the simulator's in sim/simdriver),
// and drivers lists the ones trustd is built with.
//
// Units: metres, radians for geometry unless a field says degrees, intensity
// normalised to [0, 1], times as time.Time (wall clock of the robot) and
// time.Duration offsets.
package sensors
