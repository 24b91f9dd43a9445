// Package ota delivers model bundles to robots over MQTT.
//
// The operator's side (Push, used by "trustctl bundle push") sends a bundle
// in chunks on <prefix>/cmd/model; the robot's side (Receiver, run inside
// trustd) stores every chunk durably, installs the bundle through a
// firmware.Store once the final digest matches and reports progress and
// outcome, retained, on <prefix>/model/status. The prefix is the robot's
// topic prefix, trust/v1/<robot> by default.
//
// # Command messages (<prefix>/cmd/model, QoS 1, binary)
//
// See Message for the byte layout. A transfer is named by the first 8 bytes
// of the SHA-256 of the bundle file, so the same bundle resumes under the
// same id after either side restarts. Kinds:
//
//   - query (nonce): "what do you hold of this transfer?" The answering
//     status carries reply_to = nonce and next_offset.
//   - chunk (offset, bytes): accepted only at next_offset (an earlier offset
//     is a duplicate, a later one a gap; both leave next_offset unchanged);
//     a chunk at offset 0 of another transfer replaces the partial one.
//   - commit (SHA-256, nonce): the receiver checks the assembled bytes
//     against the digest, then firmware.Store.Install verifies signatures,
//     hash, sensor and version and self-tests the models before activation.
//   - abort: drop the partial transfer.
//
// # Status (<prefix>/model/status, QoS 1, retained, JSON)
//
// One Status after every command message: state (idle, receiving,
// verifying, installed, rejected, failed), transfer, size, next_offset,
// reply_to, code and error on failure (firmware.Code values plus
// "digest_mismatch", "too_large", "protocol"), the active model (id,
// version, slot, sensor) and the time.
//
// # Resumption
//
// Received bytes are appended to partial.bin in the receiver's directory
// and fsynced before the status acknowledging them is published, so an
// acknowledged byte survives a power cut. After a disconnect the sender
// queries and continues at next_offset. A torn write found after a crash
// costs at most a digest mismatch and a resend from 0, never a wrong install.
//
// Limits: bundles up to ReceiverOptions.MaxSize (16 MiB by default), chunks
// up to MaxChunk (1 MiB). The sender sends one chunk at a time and waits
// for its acknowledgement: simple flow control that never overruns a
// receiver's queue.
package ota
