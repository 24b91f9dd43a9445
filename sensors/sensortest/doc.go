// Package sensortest holds what the rest of the project needs to test code
// that reads sensors without touching hardware:
//
//   - Run, a conformance suite every sensors.Source implementation calls
//     from its own tests (Info filled, frames well formed with increasing
//     Seq, prompt stop on cancel, no emit after Run returns, no goroutine
//     left behind);
//   - Source, a fake that replays given frames at a period (or as fast as
//     possible), loops, can be unplugged and re-plugged to simulate a lost
//     device, and counts what it did;
//   - Collector, a thread-safe emit target that tests wait on;
//   - frame builders: a synthetic VLP-16-like scan of a box-shaped room
//     (16 rings, 0.2° azimuth steps, per-point firing offsets as in the
//     VLP-16 manual's timing table), a gray test image and a range reading.
//
// Units follow package sensors: metres, radians, microsecond point offsets.
package sensortest
