package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// WriterOptions configure NewWriter. The zero value writes little-endian,
// microsecond stamps, Ethernet frames, snap length MaxSnapLen.
type WriterOptions struct {
	ByteOrder binary.ByteOrder // nil: little endian
	Nano      bool             // nanosecond stamps (magic 0xA1B23C4D)
	LinkType  uint32           // default LinkEthernet
}

// Writer writes a classic pcap file.
type Writer struct {
	w    io.Writer
	bo   binary.ByteOrder
	nano bool
	link uint32
	buf  []byte
	ipID uint16
}

// NewWriter writes the global header to w.
func NewWriter(w io.Writer, opts WriterOptions) (*Writer, error) {
	if opts.ByteOrder == nil {
		opts.ByteOrder = binary.LittleEndian
	}
	if opts.LinkType == 0 {
		opts.LinkType = LinkEthernet
	}
	magic := uint32(MagicMicro)
	if opts.Nano {
		magic = MagicNano
	}
	g := make([]byte, globalHeaderLen)
	bo := opts.ByteOrder
	bo.PutUint32(g[0:], magic)
	bo.PutUint16(g[4:], 2)
	bo.PutUint16(g[6:], 4)
	bo.PutUint32(g[16:], MaxSnapLen)
	bo.PutUint32(g[20:], opts.LinkType)
	if _, err := w.Write(g); err != nil {
		return nil, fmt.Errorf("pcap: %w", err)
	}
	return &Writer{w: w, bo: bo, nano: opts.Nano, link: opts.LinkType}, nil
}

// WritePacket writes one record holding frame, captured at t.
func (w *Writer) WritePacket(t time.Time, frame []byte) error {
	if len(frame) > MaxSnapLen {
		return fmt.Errorf("pcap: %d-byte frame exceeds the snap length", len(frame))
	}
	sub := uint32(t.Nanosecond())
	if !w.nano {
		sub /= 1000
	}
	var h [recordHeaderLen]byte
	w.bo.PutUint32(h[0:], uint32(t.Unix()))
	w.bo.PutUint32(h[4:], sub)
	w.bo.PutUint32(h[8:], uint32(len(frame)))
	w.bo.PutUint32(h[12:], uint32(len(frame)))
	if _, err := w.w.Write(h[:]); err != nil {
		return fmt.Errorf("pcap: %w", err)
	}
	if _, err := w.w.Write(frame); err != nil {
		return fmt.Errorf("pcap: %w", err)
	}
	return nil
}

// WriteUDP wraps payload in UDP/IPv4 (and Ethernet, for LinkEthernet) from
// src to dst and writes it as one record. Only Ethernet and raw-IP link
// types are supported.
func (w *Writer) WriteUDP(t time.Time, src, dst netip.AddrPort, payload []byte) error {
	if !src.Addr().Is4() || !dst.Addr().Is4() {
		return errors.New("pcap: WriteUDP needs IPv4 addresses")
	}
	if len(payload) > 65535-28 {
		return fmt.Errorf("pcap: %d-byte UDP payload too large", len(payload))
	}
	b := w.buf[:0]
	switch w.link {
	case LinkEthernet:
		b = append(b, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF) // broadcast, as the VLP-16 sends by default
		b = append(b, 0x60, 0x76, 0x88, 0x00, 0x00, 0x01) // Velodyne OUI 60:76:88
		b = append(b, 0x08, 0x00)
	case LinkRaw, LinkIPv4:
	default:
		return fmt.Errorf("pcap: WriteUDP on link type %d", w.link)
	}
	ipStart := len(b)
	total := 20 + 8 + len(payload)
	w.ipID++
	b = append(b, 0x45, 0, byte(total>>8), byte(total), byte(w.ipID>>8), byte(w.ipID), 0x40, 0, 64, 17, 0, 0)
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	b = append(b, s4[:]...)
	b = append(b, d4[:]...)
	binary.BigEndian.PutUint16(b[ipStart+10:], ipChecksum(b[ipStart:ipStart+20]))
	ulen := 8 + len(payload)
	b = binary.BigEndian.AppendUint16(b, src.Port())
	b = binary.BigEndian.AppendUint16(b, dst.Port())
	b = binary.BigEndian.AppendUint16(b, uint16(ulen))
	b = append(b, 0, 0) // checksum optional over IPv4
	b = append(b, payload...)
	w.buf = b
	return w.WritePacket(t, b)
}

// ipChecksum is the RFC 791 header checksum (with the checksum field zero).
func ipChecksum(h []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(h); i += 2 {
		s += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for s>>16 != 0 {
		s = s&0xFFFF + s>>16
	}
	return ^uint16(s)
}
