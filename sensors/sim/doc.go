// Package sim simulates a robot's sensors in a deterministic procedural
// world, for training, tests and demos without hardware.
//
// A World holds ground, walls, boxes, poles, trees and bushes (vegetation-
// like clutter with a leafy, bumpy surface), people and vehicles moving back
// and forth, and a closed spline path the robot drives along. Everything is
// drawn from WorldOptions.Seed, so the same options give the same world.
//
// Lidar simulates a Velodyne VLP-16 by ray casting: 16 lasers at the
// datasheet elevations (laser ids 0–15 at −15, 1, −13, 3, … , 15 degrees,
// VLP-16 user manual, table 9-1), 0.2° azimuth steps at 10 Hz (1,800
// columns), Gaussian range noise, intensity from the material's reflectivity
// and the incidence angle (Lambertian), 100 m maximum range and no-return
// cells where nothing is hit or the echo is too weak. Each column is fired
// from the robot's pose at its own firing time, as a spinning sensor does.
// Camera is a pinhole grayscale camera (configurable size, rate and field of
// view) looking at the same world, with Lambertian shading under a sun and
// sky light, procedural textures, exposure, gamma and sensor noise (shot and
// read noise), quantised to 8 bits.
//
// Both are frame generators (Lidar.Scan(i), Camera.Image(i): frame i of the
// drive, a pure function of the options and i) and, through NewSource,
// sensors.Sources paced in real time or run as fast as possible.
//
// Ray casting walks a uniform 2-D grid over the ground plane (3-D DDA
// restricted to x, y; objects are bounded in height) rebuilt per frame with
// the moving objects at that frame's time.
//
// Coordinates: world x east, y north, z up, metres; sensor frames are the
// Velodyne convention (x right, y forward, z up), azimuth clockwise from
// forward. Same options and seed give byte-identical frames; the golden
// hashes in testdata hold on amd64, arm64 and 32-bit arm alike.
package sim
