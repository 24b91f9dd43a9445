// Package outbox is a durable, bounded store-and-forward queue between the
// agent and the MQTT client.
//
// paho keeps unacknowledged QoS 1 messages only in memory (or in a file store
// that panics on disk errors) and drops QoS 0 messages published while it
// reconnects. The outbox sits in front of it:
//
//   - Publish of a durable kind (state change, summary change) writes the message to
//     its own file in the state directory (write, fsync, rename) before it
//     returns; the file is deleted only after the broker's PUBACK. A broker
//     outage or an agent restart therefore loses no level change; after a
//     restart the files are sent again, oldest first (at-least-once: a
//     consumer may see a message twice and dedupes by the payload's seq).
//   - Heartbeats, health and status are kept in memory and coalesced per
//     topic: a newer one replaces an older one that has not been sent.
//   - The queue is bounded by message count and bytes, the message in flight
//     included. When full, the oldest message of the lowest priority goes
//     first: heartbeats, then health, replies, summaries, status, and state
//     changes last (transport.Kind.Priority). The message in flight is the
//     oldest; evicted, it is not queued again if its send fails.
//   - When the disk is full or unwritable the outbox logs one clear error,
//     keeps the message in memory, counts it in Stats, and keeps running; when
//     a later write succeeds it logs the recovery and writes the durable
//     messages it kept in memory. It never panics on disk errors.
//   - One message is in flight at a time, so messages leave in the order they
//     were published even across reconnects (paho resends an unacknowledged
//     message itself after reconnecting with CleanSession=false).
//
// The package also numbers the changes (Sequencer): OpenSequencer stores a
// boot epoch, one more than the previous run's, in seq.json (written and
// fsync'd) before it hands out any number, and refuses (ErrEpoch) when it
// cannot; Next returns epoch<<32 | n, n counting from 1 per key in memory.
// Numbers never repeat or go backwards across restarts, crashes and a full
// disk, and no change costs a disk write for its number.
//
// File format of one message (little endian), name "<id as 16 hex digits>.msg":
//
//	magic "TAOB" | version 1 (u8) | kind (u8) | qos (u8) | retained (u8)
//	| topic length (u16) | topic | payload length (u32) | payload
//	| n (u16) | n × (key length (u8) | key | sequence counter (u64)), keys sorted
//	| CRC-32C of all before (u32)
//
// The counters (n > 0) are written only by versions before the boot
// epoch; they are checked and ignored. This version writes n = 0.
package outbox
