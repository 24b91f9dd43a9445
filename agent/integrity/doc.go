// Package integrity checks what every frame of a healthy sensor has,
// whatever the scene it looks at.
//
// The frame score and the health autoencoders learn what normal frames look
// like, and a new street can look unlike anything they learnt. The checks
// here need no learning: they test a property of the sensor itself, so a
// clean frame of any scene passes and their thresholds come from the
// sensor's geometry, not from data.
//
// RingGeometry: a spinning LiDAR's laser fires at one fixed elevation, so
// every return of a ring lies on that laser's cone. Returns displaced in
// space (crosstalk from another LiDAR whose echoes land off the beam,
// coordinate noise, a point cloud corrupted in transfer) leave it. The
// check takes each ring's elevation as the median of the frame's own
// returns, so it needs no calibration table, and counts, in every second
// point of the scan, the returns beyond 2 m more than 1° off their ring's
// cone; it takes three or more such returns to raise a level. It applies
// to clouds in the sensor's own frame as the sensor fires them: a driver
// that deskews a cloud for the robot's motion, or turns it into another
// frame, moves returns off their cones, and such a sensor turns the check
// off (cone_check: false). It needs the ring numbers the sensor reports:
// rings recovered from elevation (a KITTI file played with lidar: VLP-16)
// put every return on its nearest ring's cone, and then only returns
// beyond the outermost rings are seen off.
package integrity
