// Package recorded reads and writes recorded sensor data as directories of
// frames, the layout robotics datasets use:
//
//   - LiDAR: KITTI velodyne .bin files (little-endian float32 x, y, z,
//     intensity per point, metres) or PCD files (ASCII or binary);
//   - camera: PNG, JPEG or PGM images (8-bit gray or RGB);
//   - an optional timestamps.txt beside the frames, one line per frame in
//     file-name order, in KITTI raw style ("2011-09-26 13:02:25.964389445",
//     UTC) or as plain seconds ("1317043345.964389445").
//
// OpenDir indexes such a directory and Dir.Read decodes one frame;
// NewSource plays a Dir as a sensors.Source in real time (from the stamps or
// a configured rate), as fast as possible, once or in a loop. DirWriter
// writes frames the other way round: %06d.bin for scans (no-return points
// omitted) and %06d.png for images, plus timestamps.txt.
//
// KITTI .bin carries no ring ids: Scan.Rings stays 0 unless DirOptions.Model
// names the sensor ("VLP-16"), in which case each point gets the ring whose
// elevation is nearest. Intensities are normalised to [0, 1]: files whose
// intensities exceed 1 are taken to be on the 0–255 scale.
package recorded
