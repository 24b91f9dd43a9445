package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Errors of DecodeUDP.
var (
	// ErrNotUDP: the frame is valid but carries no IPv4 UDP datagram
	// (ARP, IPv6, TCP, an IP fragment): skip it.
	ErrNotUDP = errors.New("pcap: not an IPv4 UDP datagram")
	// ErrMalformed: the frame claims to be IPv4/UDP but its headers are
	// inconsistent or cut short.
	ErrMalformed = errors.New("pcap: malformed frame")
)

// UDP is a datagram found in a captured frame. Payload aliases the frame.
type UDP struct {
	Src, Dst netip.AddrPort
	Payload  []byte
}

const (
	etherIPv4 = 0x0800
	etherVLAN = 0x8100
	etherQinQ = 0x88A8
)

// DecodeUDP extracts the UDP datagram of a frame of the given link type.
func DecodeUDP(link uint32, frame []byte) (UDP, error) {
	var ip []byte
	switch link {
	case LinkEthernet:
		if len(frame) < 14 {
			return UDP{}, fmt.Errorf("%w: %d-byte Ethernet frame", ErrMalformed, len(frame))
		}
		et, p := binary.BigEndian.Uint16(frame[12:]), 14
		for tags := 0; (et == etherVLAN || et == etherQinQ) && tags < 2; tags++ {
			if len(frame) < p+4 {
				return UDP{}, fmt.Errorf("%w: VLAN tag cut short", ErrMalformed)
			}
			et, p = binary.BigEndian.Uint16(frame[p+2:]), p+4
		}
		if et != etherIPv4 {
			return UDP{}, fmt.Errorf("%w: EtherType %#04x", ErrNotUDP, et)
		}
		ip = frame[p:]
	case LinkLinuxSLL:
		if len(frame) < 16 {
			return UDP{}, fmt.Errorf("%w: %d-byte SLL frame", ErrMalformed, len(frame))
		}
		if et := binary.BigEndian.Uint16(frame[14:]); et != etherIPv4 {
			return UDP{}, fmt.Errorf("%w: protocol %#04x", ErrNotUDP, et)
		}
		ip = frame[16:]
	case LinkRaw, LinkIPv4:
		ip = frame
	default:
		return UDP{}, fmt.Errorf("%w: link type %d", ErrNotUDP, link)
	}
	return decodeIPv4UDP(ip)
}

func decodeIPv4UDP(ip []byte) (UDP, error) {
	if len(ip) < 20 {
		return UDP{}, fmt.Errorf("%w: %d-byte IP header", ErrMalformed, len(ip))
	}
	if v := ip[0] >> 4; v != 4 {
		return UDP{}, fmt.Errorf("%w: IP version %d", ErrNotUDP, v)
	}
	ihl := int(ip[0]&0x0F) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if ihl < 20 || total < ihl || len(ip) < ihl {
		return UDP{}, fmt.Errorf("%w: IPv4 header length %d, total %d", ErrMalformed, ihl, total)
	}
	if total > len(ip) {
		return UDP{}, fmt.Errorf("%w: IPv4 total length %d, captured %d", ErrMalformed, total, len(ip))
	}
	if ip[9] != 17 {
		return UDP{}, fmt.Errorf("%w: IP protocol %d", ErrNotUDP, ip[9])
	}
	if frag := binary.BigEndian.Uint16(ip[6:]); frag&0x3FFF != 0 {
		return UDP{}, fmt.Errorf("%w: IPv4 fragment", ErrNotUDP)
	}
	src := netip.AddrFrom4([4]byte(ip[12:16]))
	dst := netip.AddrFrom4([4]byte(ip[16:20]))
	udp := ip[ihl:total]
	if len(udp) < 8 {
		return UDP{}, fmt.Errorf("%w: %d-byte UDP header", ErrMalformed, len(udp))
	}
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < 8 || ulen > len(udp) {
		return UDP{}, fmt.Errorf("%w: UDP length %d of %d bytes", ErrMalformed, ulen, len(udp))
	}
	return UDP{
		Src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(udp[0:])),
		Dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(udp[2:])),
		Payload: udp[8:ulen],
	}, nil
}
