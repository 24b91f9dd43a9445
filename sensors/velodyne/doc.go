// Package velodyne reads a Velodyne VLP-16 ("Puck") LiDAR: it decodes the
// 1,206-byte UDP data payloads, assembles revolutions at the azimuth wrap
// with per-point firing times, and delivers them as sensors.Scan from a live
// UDP socket, a raw payload file or a pcap capture.
//
// Payload layout (Velodyne VLP-16 User Manual 63-9243, "Data Packet
// Format"): 12 data blocks of 100 bytes, each a flag 0xFFEE, an azimuth
// (uint16 LE, hundredths of a degree) and 32 channel records (distance
// uint16 LE in 2 mm units, calibrated reflectivity uint8). Channels 16–31 are
// the second firing sequence of lasers 0–15, whose azimuth lies halfway to
// the next block. Then a uint32 LE timestamp (µs past the top of the hour),
// the return-mode byte (0x37 strongest, 0x38 last, 0x39 dual) and the
// product byte (0x22 VLP-16). In dual-return mode blocks come in pairs with
// equal azimuth: even blocks hold the last return, odd blocks the strongest
// (or second strongest) one.
//
// Timing (manual, "Firing Timing" and "Precise Azimuth Calculation"):
// a firing sequence of all 16 lasers takes 55.296 µs, lasers fire
// 2.304 µs apart, and a block holds two sequences.
//
// Geometry (manual, spherical to XYZ conversion): with ω the laser
// elevation, α the azimuth and r the range, x = r·cos ω·sin α,
// y = r·cos ω·cos α, z = r·sin ω. Units are
// metres, radians and microseconds as in package sensors; reflectivity
// 0–255 is normalised to [0, 1].
package velodyne
