// Package pcap reads and writes classic libpcap capture files (the format
// of tcpdump and Wireshark's "pcap", not pcapng) and extracts UDP payloads
// from the captured frames, which is how Velodyne recordings are kept.
//
// File format (libpcap file format, draft-ietf-opsawg-pcap): a 24-byte
// global header — magic 0xA1B2C3D4 (microsecond stamps) or 0xA1B23C4D
// (nanosecond stamps) in the writer's byte order, version 2.4, reserved
// fields, snap length, link type — then records of a 16-byte header
// (seconds, sub-second, captured length, original length) and the captured
// bytes. Both byte orders and both resolutions are read; the writer writes
// little-endian with either resolution.
//
// Link types read: Ethernet (1, with up to two 802.1Q VLAN tags), raw IP
// (101 and 228) and Linux cooked capture (113). UDP over IPv4 only;
// fragments, IPv6 and other protocols are reported as not UDP so a reader
// can skip them.
package pcap
