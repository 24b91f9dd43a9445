// Package firmware defines trustagent's signed model bundles and installs
// them safely on a robot.
//
// A bundle carries everything a device needs to score one sensor: the
// quantised VAE, the health autoencoder, calibration, training provenance
// and probe inputs with the integer scores they must reproduce. A host
// bundle (kind KindHost) carries the host health model of the robot's own
// computer instead: a health section, its calibration, provenance and
// probes, and no VAE. Model
// payloads are opaque here; the scorer and the agent encode them. The
// package never imports them: the self-test takes a Loader that turns a
// model section into a Prober.
//
// # Bundle format, version 1
//
// All integers are little-endian and unsigned unless marked i64 (two's
// complement); floats are IEEE 754 binary64 bit patterns stored as u64.
// Offsets are in bytes. The content is everything before the trailer; the
// hash and the signatures cover exactly the content.
//
//	offset   size  field
//	0        4     magic "TABN" (54 41 42 4E)
//	4        2     format version, 1
//	6        1     kind: the sensor's sensors.Kind (1 lidar, 2 camera,
//	               3 range), or 128 host (KindHost: the host model)
//	7        1     reserved, 0
//	8        2     representation id (input representation, defined by the scorer)
//	10       2     n = model id length, 1..255
//	12       4     C = content length: 28 + n + sum of section sizes
//	16       8     model version, >= 1, increases with every release of a model
//	24       4     S = section count, <= 256
//	28       n     model id, UTF-8
//	28+n     ...   S sections, each:
//	                 2  type
//	                 2  reserved, 0
//	                 4  L = payload length
//	                 L  payload
//	C        32    SHA-256 of bytes [0, C)
//	C+32     1     k = signature count, 0..16
//	C+33     72·k  signatures, each: 8 key id, 64 ed25519 signature
//
// The file ends exactly at C+33+72k; trailing bytes are malformed. Each
// signature is ed25519 over "trustagent bundle signature v1\x00" followed
// by the content bytes. A key id is the first 8 bytes of
// SHA-256("trustagent bundle key\x00" || 32-byte public key).
//
// Section types (unknown types are skipped by readers; a known type may
// appear at most once):
//
//	1 vae          quantised per-sensor VAE, the scorer's MarshalBinary
//	2 health       health autoencoder, the agent's MarshalBinary
//	3 calibration  f64 target FPR; u16 t; t × (u8 len, name, i64 threshold);
//	               u16 s; s × (u8 len, name, f64 statistic)
//	4 metadata     32 training-data SHA-256; u64 seed; i64 created (Unix ns);
//	               u8 len, trustctl version
//	5 probes       u32 p; p × (u16 model section type, u32 len, input, i64 score)
//
// # Verification
//
// Verify checks, in order: structure (ErrTruncated, ErrMalformed,
// *FormatVersionError), the content hash (ErrTampered), the signatures
// (ErrUnsigned, *UnknownKeyError, *SignatureError), the sensor kind
// (*SensorError, also for a host bundle offered to a sensor and a sensor's
// offered as the host model) and the version against the installed one
// (*DowngradeError). Every signature must be by a trusted key and verify,
// so a flipped byte anywhere in a bundle is refused; a policy may instead
// ignore signatures by unknown keys (IgnoreUnknownKeys) for bundles signed
// for several fleets. At least one trusted signature is needed unless the
// policy is AllowUnsigned (development).
//
// # Install
//
// A Store keeps two slots, slot-a.bundle and slot-b.bundle, and a pointer
// file "active" naming one of them, in the device's state directory. An
// install verifies the bundle, runs its probes through the loaded models,
// writes it to the inactive slot (temporary file, fsync, rename, fsync of
// the directory), then switches the pointer the same way and runs the
// self-test again on the bundle as read back from disk; when that fails
// the pointer goes back. Start, run when the agent starts, loads the
// active slot, verifies and self-tests it and falls back to the other slot
// when it fails. A power cut at any step leaves either the old or the new
// model active, never none; a failed write (disk full) leaves the old one.
// All file operations go through the FS interface so tests can cut power
// after any of them.
//
// Retire stops running the installed model (a robot told to learn its host
// model itself): the pointer file then says "none", Start finds no model,
// and the next Install must be newer than both slots.
//
// # Packaged bundles
//
// A bundle the package manager installed (a root-owned file in a root-owned
// directory that neither group nor others can write: CheckPackageFile) is
// as trustworthy as the daemon's binary beside it, signed or not.
// OpenPackaged verifies and self-tests such a bundle and returns it with
// Slot SlotPackage; it is run from where the package put it and never
// copied into a Store, so every bundle that arrives another way still
// needs a trusted signature.
//
// Over-the-air delivery through MQTT is in the ota subpackage.
package firmware
