// Package velodynetest finds the real VLP-16 recordings tests decode and
// builds synthetic payloads.
//
// Real data: the Go module go.einride.tech/vlp16@v0.7.0 (testdata/
// recording.bin, 1,000 payloads back to back, and packet.bin), located with
// "go mod download -json", and MRPT's test_velodyne_VLP16.rawlog from the
// Debian package mrpt-common (one revolution of 75 payloads inside MRPT's
// gzip-compressed serialisation). When one is missing a test is skipped, or
// fails when the environment variable CI is "true".
package velodynetest
