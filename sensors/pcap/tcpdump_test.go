package pcap

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTcpdumpReadsOurCaptures checks the writer against libpcap itself:
// tcpdump must parse every record of both byte orders and resolutions, see
// UDP from 192.168.1.201.2368 with a 1206-byte payload, and find no bad
// IPv4 header checksum.
func TestTcpdumpReadsOurCaptures(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tcpdump (Debian tcpdump) is needed")
		}
		t.Skip("tcpdump not installed (Debian tcpdump)")
	}
	for _, o := range []WriterOptions{{}, {ByteOrder: binary.BigEndian, Nano: true}} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, o)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if err := w.WriteUDP(time.Unix(1700000000, int64(i)*1327000), lidarAddr, hostAddr, make([]byte, 1206)); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(t.TempDir(), "x.pcap")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tcpdump, "-nn", "-vv", "-r", path).CombinedOutput()
		if err != nil {
			t.Fatalf("tcpdump: %v\n%s", err, out)
		}
		s := string(out)
		if n := strings.Count(s, "192.168.1.201.2368 > 255.255.255.255.2368: [no cksum] UDP, length 1206"); n != 3 {
			t.Errorf("tcpdump saw %d VLP-16 datagrams, want 3:\n%s", n, s)
		}
		if strings.Contains(s, "bad cksum") {
			t.Errorf("tcpdump reports a bad IPv4 checksum:\n%s", s)
		}
		// And the other way: a file libpcap wrote must read back here.
		again := filepath.Join(t.TempDir(), "libpcap.pcap")
		if out, err := exec.Command(tcpdump, "-r", path, "-w", again).CombinedOutput(); err != nil {
			t.Fatalf("tcpdump -w: %v\n%s", err, out)
		}
		f, err := os.Open(again)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			rec, err := r.Next()
			if err != nil {
				break
			}
			if u, err := DecodeUDP(r.Header().LinkType, rec.Data); err == nil && len(u.Payload) == 1206 && u.Src == lidarAddr {
				n++
			}
		}
		f.Close()
		if n != 3 {
			t.Errorf("read %d datagrams from libpcap's file, want 3", n)
		}
	}
}
