package velodyne_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/pcap"
	"github.com/sensortrust/trustagent/sensors/sensortest"
	"github.com/sensortrust/trustagent/sensors/velodyne"
	"github.com/sensortrust/trustagent/sensors/velodyne/velodynetest"
)

func runFile(t *testing.T, path string, opts velodyne.FileOptions) (*velodyne.FileSource, []*sensors.Scan) {
	t.Helper()
	src, err := velodyne.NewFileSource(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	var scans []*sensors.Scan
	err = src.Run(context.Background(), func(f sensors.Frame) { scans = append(scans, f.(*sensors.Scan)) })
	if !errors.Is(err, sensors.ErrNoData) {
		t.Fatalf("Run: %v, want end of recording", err)
	}
	return src, scans
}

func returns(scans []*sensors.Scan) int {
	n := 0
	for _, s := range scans {
		n += s.Returns()
	}
	return n
}

// writePcap writes payloads as a capture from the VLP-16's default address,
// 1.327 ms apart, with an ARP frame and a position packet mixed in.
func writePcap(t *testing.T, path string, payloads [][]byte, opts pcap.WriterOptions) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcap.NewWriter(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	lidar := netip.MustParseAddrPort("192.168.1.201:2368")
	dst := netip.MustParseAddrPort("255.255.255.255:2368")
	pos := netip.MustParseAddrPort("255.255.255.255:8308")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, p := range payloads {
		at := t0.Add(time.Duration(i) * 1327 * time.Microsecond)
		if i == 1 {
			arp := make([]byte, 42)
			arp[12], arp[13] = 0x08, 0x06
			if err := w.WritePacket(at, arp); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteUDP(at, lidar, pos, make([]byte, 512)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteUDP(at, lidar, dst, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFileSourceRawAndPcap(t *testing.T) {
	raw := velodynetest.EinrideFile(t, "recording.bin")
	want := nonZero(split(raw))
	dir := t.TempDir()
	rawPath := filepath.Join(dir, "recording.bin")
	if err := os.WriteFile(rawPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	src, scans := runFile(t, rawPath, velodyne.FileOptions{Pacing: velodyne.PaceFast})
	if src.Format() != velodyne.FormatRaw || len(scans) != 14 || returns(scans) != want {
		t.Errorf("raw: format %v, %d scans, %d returns (want 14, %d)", src.Format(), len(scans), returns(scans), want)
	}
	if c := src.Counters(); c.Frames != 14 || c.Malformed != 0 || c.Drops != 0 || c.Bytes != uint64(len(raw)) {
		t.Errorf("raw counters %+v", c)
	}

	for _, o := range []pcap.WriterOptions{{}, {Nano: true}} {
		pcapPath := filepath.Join(dir, "recording.pcap")
		writePcap(t, pcapPath, split(raw), o)
		src, scans := runFile(t, pcapPath, velodyne.FileOptions{Pacing: velodyne.PaceFast})
		if src.Format() != velodyne.FormatPcap || len(scans) != 14 || returns(scans) != want {
			t.Errorf("pcap: %d scans, %d returns", len(scans), returns(scans))
		}
		if src.Skipped() != 2 {
			t.Errorf("pcap: skipped %d records, want 2 (ARP, position packet)", src.Skipped())
		}
		// Stamps follow the capture's clock.
		if st := scans[1].Stamp; st.Year() != 2026 {
			t.Errorf("pcap stamp %v", st)
		}
	}
}

func TestFileSourceCorruptInput(t *testing.T) {
	raw := velodynetest.EinrideFile(t, "recording.bin")[:20*velodyne.PayloadSize]
	bad := append([]byte(nil), raw...)
	bad[5*velodyne.PayloadSize+300] = 0 // a block flag
	bad = append(bad, 0xFF, 0xEE, 1, 2) // trailing partial record
	path := filepath.Join(t.TempDir(), "bad.bin")
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	src, scans := runFile(t, path, velodyne.FileOptions{Pacing: velodyne.PaceFast})
	if c := src.Counters(); c.Malformed != 2 {
		t.Errorf("malformed %d, want 2 (bad flag, trailing bytes)", c.Malformed)
	}
	if len(scans) == 0 || src.Stats().Packets != 19 {
		t.Errorf("%d scans, stats %+v", len(scans), src.Stats())
	}
	junk := filepath.Join(t.TempDir(), "junk")
	if err := os.WriteFile(junk, []byte("hello world"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := velodyne.NewFileSource(junk, velodyne.FileOptions{}); !errors.Is(err, velodyne.ErrUnknownFile) {
		t.Errorf("junk file: %v", err)
	}
}

func TestFileSourceConformance(t *testing.T) {
	raw := velodynetest.EinrideFile(t, "recording.bin")
	path := filepath.Join(t.TempDir(), "recording.bin")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	sensortest.Run(t, func(t *testing.T) sensors.Source {
		src, err := velodyne.NewFileSource(path, velodyne.FileOptions{Name: "lidar0", Repeat: velodyne.Loop})
		if err != nil {
			t.Fatal(err)
		}
		return src
	})
}

// sendPayloads sends payloads to addr until ctx ends, ~1.3 ms apart in
// bursts, plus one datagram that is not a payload.
func sendPayloads(ctx context.Context, t *testing.T, addr string, payloads [][]byte) {
	conn, err := net.Dial("udp4", addr)
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	_, _ = conn.Write(make([]byte, 512))
	for i := 0; ctx.Err() == nil; i++ {
		_, _ = conn.Write(payloads[i%len(payloads)])
		if i%38 == 37 {
			time.Sleep(20 * time.Millisecond) // 3.8 ms of data per 20 ms: slower than live, kind to loopback
		}
	}
}

func waitBound(t *testing.T, src *velodyne.UDPSource) string {
	t.Helper()
	for i := 0; i < 200; i++ {
		if a := src.LocalAddr(); a != "" {
			return a
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("UDP source did not bind")
	return ""
}

func TestUDPSource(t *testing.T) {
	payloads := split(velodynetest.EinrideFile(t, "recording.bin"))
	src, err := velodyne.NewUDPSource(velodyne.UDPOptions{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var col sensortest.Collector
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, col.Emit) }()
	addr := waitBound(t, src)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); sendPayloads(ctx, t, addr, payloads) }()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	err = col.WaitN(wctx, 3)
	wcancel()
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("waiting for revolutions: %v", err)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	c := src.Counters()
	if c.Malformed < 1 || c.Frames < 3 || c.BusErrors != 0 {
		t.Errorf("counters %+v", c)
	}
	for _, f := range col.Frames() {
		if err := sensortest.CheckFrame(f); err != nil {
			t.Error(err)
		}
	}
}

func TestUDPSourceSurvivesBindFailure(t *testing.T) {
	// Hold the port so the source's first attempts fail, then free it.
	hold, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := hold.LocalAddr().String()
	src, err := velodyne.NewUDPSource(velodyne.UDPOptions{Addr: addr, RetryMin: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, func(sensors.Frame) {}) }()
	time.Sleep(60 * time.Millisecond)
	hold.Close()
	waitBound(t, src)
	c := src.Counters()
	if c.BusErrors == 0 || c.Reconnect == 0 {
		t.Errorf("counters after a failed bind: %+v", c)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestNewUDPSourceValidates(t *testing.T) {
	for _, addr := range []string{"2368", "host:port", ":70000"} {
		if _, err := velodyne.NewUDPSource(velodyne.UDPOptions{Addr: addr}); err == nil {
			t.Errorf("address %q accepted", addr)
		}
	}
	if _, err := velodyne.NewUDPSource(velodyne.UDPOptions{Assembler: velodyne.Options{CutDeg: 360}}); err == nil {
		t.Error("cut 360° accepted")
	}
}

// TestUDPSourceConformance runs the sensortest suite on the UDP source fed
// by a sender that starts once the source has bound its socket. The sender
// outlives Run until the subtest's cleanup, so the goroutine check is off.
func TestUDPSourceConformance(t *testing.T) {
	payloads := split(velodynetest.EinrideFile(t, "recording.bin"))
	sensortest.RunWith(t, sensortest.Options{SkipLeakCheck: true}, func(t *testing.T) sensors.Source {
		src, err := velodyne.NewUDPSource(velodyne.UDPOptions{Name: "lidar0", Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for src.LocalAddr() == "" {
				select {
				case <-ctx.Done():
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
			sendPayloads(ctx, t, src.LocalAddr(), payloads)
		}()
		t.Cleanup(func() { cancel(); wg.Wait() })
		return src
	})
}
