// Package faults injects the sensor faults of the project's fault catalogue
// into LiDAR scans, camera images and frame streams, deterministically for a
// given seed, at three severities (1 light, 2 moderate, 3 heavy).
//
// Three layers:
//
//   - Per-frame corruptions are pure functions of (frame, severity, random
//     stream): LidarFault and CameraFault values in Catalogue. They work on a
//     copy and never modify the caller's frame.
//   - An Injector applies one fault to a stream of frames of one sensor,
//     keeping whatever history the fault needs (a frozen frame, a held frame
//     for reordering, a dirt mask). New builds one from a Config.
//   - A Scenario is a YAML timeline of faults ("at 20s fog severity 2 on
//     lidar0 for 15s"); a Player applies it to one sensor's frames and Wrap
//     applies it to a live sensors.Source. Default returns the embedded
//     scenario used by the daemon's simulated sensors.
//
// The formulas and parameters follow published corruption benchmarks:
// Robo3D / KITTI-C (Kong et al., ICCV 2023) for LiDAR, ImageNet-C (Hendrycks
// and Dietterich, ICLR 2019) for cameras, the LiDAR fog model of Hahner et
// al. (ICCV 2021) in simplified closed form, and ROS diagnostic_updater
// (FrequencyStatus, TimeStampStatus) for stream timing. The code is our own;
// docs/faults.md lists every fault with its formula and a picture.
//
// Units: metres for LiDAR geometry, intensity and pixel values in [0, 1] for
// the formulas (8-bit pixels are mapped by v/255 and rounded back), times as
// time.Duration. Every random draw comes from a PCG stream keyed by the seed,
// the fault and the frame's position in the stream, so the same seed and the
// same input give byte-identical output (the golden hashes hold on amd64,
// arm64 and 32-bit arm).
package faults
