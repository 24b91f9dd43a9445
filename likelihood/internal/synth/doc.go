// Package synth makes small synthetic LiDAR scans and camera images for the
// likelihood tests: a VLP-16-like sensor driving down a corridor with a
// moving box, and a textured camera scene with a moving square. It is cheap
// and deterministic, not realistic; realistic data comes from sensors/sim and
// recordings.
package synth
