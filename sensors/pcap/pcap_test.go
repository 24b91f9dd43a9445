package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"
)

var (
	lidarAddr = netip.MustParseAddrPort("192.168.1.201:2368")
	hostAddr  = netip.MustParseAddrPort("255.255.255.255:2368")
)

func TestRoundTripByteOrdersAndResolutions(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, nano := range []bool{false, true} {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, WriterOptions{ByteOrder: bo, Nano: nano})
			if err != nil {
				t.Fatal(err)
			}
			payloads := [][]byte{bytes.Repeat([]byte{1}, 1206), {}, []byte("hello")}
			for i, p := range payloads {
				if err := w.WriteUDP(t0.Add(time.Duration(i)*time.Millisecond), lidarAddr, hostAddr, p); err != nil {
					t.Fatal(err)
				}
			}
			// An ARP frame between the datagrams: valid, not UDP.
			arp := make([]byte, 42)
			arp[12], arp[13] = 0x08, 0x06
			if err := w.WritePacket(t0, arp); err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if h := r.Header(); h.ByteOrder != bo || h.Nano != nano || h.LinkType != LinkEthernet {
				t.Fatalf("header %+v", h)
			}
			for i, want := range payloads {
				rec, err := r.Next()
				if err != nil {
					t.Fatal(err)
				}
				wantT := t0.Add(time.Duration(i) * time.Millisecond)
				if !nano {
					wantT = wantT.Truncate(time.Microsecond)
				}
				if !rec.Time.Equal(wantT) {
					t.Errorf("%v nano=%v: time %v want %v", bo, nano, rec.Time, wantT)
				}
				u, err := DecodeUDP(r.Header().LinkType, rec.Data)
				if err != nil {
					t.Fatal(err)
				}
				if u.Src != lidarAddr || u.Dst != hostAddr || !bytes.Equal(u.Payload, want) {
					t.Errorf("datagram %d: %v → %v, %d bytes", i, u.Src, u.Dst, len(u.Payload))
				}
				ip := rec.Data[14:34]
				if ipChecksum(ip) != 0 {
					t.Errorf("IPv4 header checksum does not verify")
				}
			}
			rec, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := DecodeUDP(LinkEthernet, rec.Data); !errors.Is(err, ErrNotUDP) {
				t.Errorf("ARP: %v, want ErrNotUDP", err)
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("end: %v, want io.EOF", err)
			}
		}
	}
}

func TestReaderErrors(t *testing.T) {
	if _, err := NewReader(bytes.NewReader([]byte("not a pcap file at all, really"))); !errors.Is(err, ErrNotPcap) {
		t.Errorf("bad magic: %v", err)
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, WriterOptions{})
	_ = w.WriteUDP(time.Unix(1, 0), lidarAddr, hostAddr, make([]byte, 100))
	full := buf.Bytes()
	r, _ := NewReader(bytes.NewReader(full[:len(full)-10]))
	if _, err := r.Next(); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut record: %v", err)
	}
	bad := append([]byte(nil), full...)
	binary.LittleEndian.PutUint32(bad[24+8:], MaxSnapLen+1)
	r, _ = NewReader(bytes.NewReader(bad))
	if _, err := r.Next(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("huge caplen: %v", err)
	}
}

func TestDecodeUDPVariants(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, WriterOptions{LinkType: LinkRaw})
	_ = w.WriteUDP(time.Unix(1, 0), lidarAddr, hostAddr, []byte{9, 8, 7})
	r, _ := NewReader(&buf)
	rec, _ := r.Next()
	ip := append([]byte(nil), rec.Data...)
	for _, link := range []uint32{LinkRaw, LinkIPv4} {
		if u, err := DecodeUDP(link, ip); err != nil || !bytes.Equal(u.Payload, []byte{9, 8, 7}) {
			t.Errorf("link %d: %v", link, err)
		}
	}
	vlan := append([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00}, ip...)
	if u, err := DecodeUDP(LinkEthernet, vlan); err != nil || u.Dst.Port() != 2368 {
		t.Errorf("VLAN: %v", err)
	}
	sll := append(make([]byte, 14), 0x08, 0x00)
	if u, err := DecodeUDP(LinkLinuxSLL, append(sll, ip...)); err != nil || len(u.Payload) != 3 {
		t.Errorf("SLL: %v", err)
	}
	tcp := append([]byte(nil), ip...)
	tcp[9] = 6
	if _, err := DecodeUDP(LinkRaw, tcp); !errors.Is(err, ErrNotUDP) {
		t.Errorf("TCP: %v", err)
	}
	frag := append([]byte(nil), ip...)
	frag[6] = 0x20 // more fragments
	if _, err := DecodeUDP(LinkRaw, frag); !errors.Is(err, ErrNotUDP) {
		t.Errorf("fragment: %v", err)
	}
	short := append([]byte(nil), ip...)
	binary.BigEndian.PutUint16(short[24:], 200) // UDP length beyond the datagram
	if _, err := DecodeUDP(LinkRaw, short); !errors.Is(err, ErrMalformed) {
		t.Errorf("UDP length: %v", err)
	}
	if _, err := DecodeUDP(LinkEthernet, ip[:10]); !errors.Is(err, ErrMalformed) {
		t.Errorf("runt: %v", err)
	}
}

// FuzzReader reads arbitrary bytes as a capture and decodes every record.
func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, WriterOptions{})
	_ = w.WriteUDP(time.Unix(5, 0), lidarAddr, hostAddr, make([]byte, 1206))
	_ = w.WritePacket(time.Unix(6, 0), []byte{1, 2, 3})
	f.Add(buf.Bytes())
	var be bytes.Buffer
	w, _ = NewWriter(&be, WriterOptions{ByteOrder: binary.BigEndian, Nano: true, LinkType: LinkLinuxSLL})
	_ = w.WritePacket(time.Unix(7, 5), append(append(make([]byte, 14), 8, 0), 0x45, 0, 0, 28))
	f.Add(be.Bytes())
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			rec, err := r.Next()
			if err != nil {
				return
			}
			u, err := DecodeUDP(r.Header().LinkType, rec.Data)
			if err == nil && len(u.Payload) > len(rec.Data) {
				t.Fatalf("payload longer than frame")
			}
		}
	})
}
