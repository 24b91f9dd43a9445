// Package scenes lists the clean sensor scenes available on this machine and
// turns each into a stream of frames in memory, as a training.Recording, so
// that models can be trained on some scenes and evaluated on scenes they
// never saw (leave-one-scene-out).
//
// A scene is one place seen by one sensor kind:
//
//   - Camera (sensors.Image, Gray8, 320×240 at 15 fps unless asked
//     otherwise): the procedural worlds of package sim; the real videos
//     vtest.avi and Megamind.avi of Debian opencv-doc, decoded with ffmpeg,
//     scaled to cover the requested size and cropped to it, at their own
//     frame rates; and real photographs of Debian opencv-doc and
//     python3-skimage seen by a virtual camera.
//   - LiDAR (sensors.Scan, VLP-16, 16 rings, 10 Hz): the procedural worlds;
//     the real VLP-16 capture of the Go module go.einride.tech/vlp16; and
//     the real 3-D laser scan of Debian liboctomap-dev seen by a virtual
//     VLP-16.
//
// The virtual camera over a photograph (gray by BT.601 luma, in linear
// light by a 2.2 power) shows a window of 60 % of the photograph's shorter
// side that pans along a Lissajous path at up to 1.2 frame pixels per
// frame, zooms in and out by ±12 % and rolls by ±2°, with bilinear
// resampling; its exposure drifts by ±15 %; the sim camera's noise is added
// (shot noise of variance v/2000 plus read noise of σ 0.004 on the linear
// [0, 1] scale) and a 1/2.2 power gives 8-bit codes. Every motion is a
// slow sine whose phase and exact frequency come from the drive's seed,
// so drives have no end and consecutive frames differ by a little motion.
//
// The einride capture holds about a dozen full revolutions: the scene
// plays them forth and back and turns frame i by i·CaptureTurnDeg (copies
// turned about the vertical axis, as training.Rotated makes them), a robot
// turning slowly in place.
//
// The virtual VLP-16 in the octomap scan (a 200° field of view, the
// scanner's own) sits 0.75 m above the scan's origin and drives forth and
// back over 1.6 m at up to 3 cm per frame, swaying ±0.4 m and turning
// ±20°. Each of its 16 × 1800 rays (0.2° steps) takes the range of the
// scan point nearest to it in angle within 0.6°; a point more than 0.3 m
// nearer hides the one behind. Ranges get 2 cm of Gaussian noise;
// reflectivity is a smooth function of the surface position, 0.05–0.40
// (diffuse surfaces), ±10 % per return.
//
// Catalogue lists the scenes whose sources are present and says how to
// install the missing ones. Scene.Drive makes frames [Start, Start+Frames)
// of a scene: the same call gives the same frames, byte for byte, and a
// frame does not depend on the range it is made in. Scans go through a
// KITTI .bin round trip, as frames read from a recording directory would;
// every frame is stamped sim.Epoch() + i·Period with Seq i+1 and
// Received = Stamp, like training.SimDrive.
//
// Units: metres and radians for LiDAR geometry, pixels for images,
// time.Duration for frame periods.
package scenes
