// Package scenes lists the clean sensor scenes available on this machine and
// turns each into a stream of frames in memory, as a training.Recording, so
// that models can be trained on some scenes and evaluated on scenes they
// never saw (leave-one-scene-out).
//
// A scene is one place seen by one sensor kind:
//
//   - Camera (sensors.Image, Gray8): the procedural worlds of package sim;
//     the real videos vtest.avi and Megamind.avi of Debian opencv-doc,
//     decoded with ffmpeg and scaled to the requested size; and real still
//     photographs (opencv-doc, python3-skimage) seen by a virtual camera
//     that pans, zooms and rolls slowly over them, with slow exposure
//     changes and sensor noise (see StillCamera).
//   - LiDAR (sensors.Scan, VLP-16, 16 rings): the procedural worlds; the
//     real VLP-16 capture of the Go module go.einride.tech/vlp16, played
//     forth and back while it turns slowly; and the real indoor 3-D scan of
//     Debian liboctomap-dev seen by a virtual VLP-16 moving slowly through
//     it (see ScanLidar).
//
// Catalogue lists the scenes whose sources are present and says how to
// install the missing ones. Scene.Drive makes frames [Start, Start+Frames)
// of a scene: the same call gives the same frames, byte for byte. Scans go
// through a KITTI .bin round trip, as frames read from a recording
// directory would; every frame is stamped sim.Epoch() + i·Period with
// Seq i+1 and Received = Stamp, like training.SimDrive.
//
// Units: metres and radians for LiDAR geometry, pixels for images,
// time.Duration for frame periods. Images use the sim camera's noise
// model: shot noise of variance v/FullWell plus read noise on the linear
// [0, 1] scale, then a 1/2.2 power to 8 bits.
package scenes
