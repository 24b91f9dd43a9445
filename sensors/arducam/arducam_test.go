package arducam

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/spi/spitest"
)

var ctx = context.Background()

var fastOpts = Opts{ResetWait: time.Microsecond, PollInterval: time.Microsecond, Chunk: 257}

func playback(s []conntest.IO, i []i2ctest.IO) (*spitest.Playback, *i2ctest.Playback) {
	return &spitest.Playback{Playback: conntest.Playback{Ops: s, DontPanic: true}}, &i2ctest.Playback{Ops: i, DontPanic: true}
}

func TestInitAndCapture(t *testing.T) {
	j := testJPEG(t, 16, 16)
	fifo := append(append([]byte{0x00}, j...), 0x00, 0x00, 0x00) // dummy byte, JPEG, padding
	sOps, iOps := initOps()
	sOps = append(sOps, captureOps(fifo, 2, 256)...)
	sp, ib := playback(sOps, iOps)
	d, err := New(sp, ib, &fastOpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Init(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := d.Capture(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(j) {
		t.Fatalf("extracted %d bytes, want the %d-byte JPEG", len(got), len(j))
	}
	pix, w, h, err := DecodeGray(got)
	if err != nil || w != 16 || h != 16 || len(pix) != 256 {
		t.Fatalf("DecodeGray: %d×%d %d bytes, %v", w, h, len(pix), err)
	}
	if pix[15] <= pix[0] {
		t.Errorf("gradient lost: first %d last %d", pix[0], pix[15])
	}
	if err := sp.Close(); err != nil {
		t.Error(err)
	}
	if err := ib.Close(); err != nil {
		t.Error(err)
	}
}

func TestInitErrors(t *testing.T) {
	// SPI test register reads back wrong: wiring.
	sp, ib := playback([]conntest.IO{spiW(0, 0x55), spiR(0, 0xFF)}, nil)
	d, _ := New(sp, ib, &fastOpts)
	if err := d.Init(ctx); !errors.Is(err, ErrTestRegister) {
		t.Errorf("test register: %v", err)
	}
	// Wrong product id.
	i := []i2ctest.IO{sccbW(0xFF, 1), sccbW(0x12, 0x80), sccbW(0xFF, 1)}
	i = append(i, sccbR(0x0A, 0x56)...)
	i = append(i, sccbR(0x0B, 0x42)...)
	sp, ib = playback([]conntest.IO{spiW(0, 0x55), spiR(0, 0x55)}, i)
	d, _ = New(sp, ib, &fastOpts)
	if err := d.Init(ctx); !errors.Is(err, ErrChipID) {
		t.Errorf("chip id: %v", err)
	}
	// Sensor absent: the SCCB transcript is empty, every Tx fails.
	sp, ib = playback([]conntest.IO{spiW(0, 0x55), spiR(0, 0x55)}, nil)
	d, _ = New(sp, ib, &fastOpts)
	if err := d.Init(ctx); err == nil {
		t.Error("Init with no sensor succeeded")
	}
	if _, err := New(sp, ib, &Opts{SPIFreq: 20_000_000_000}); err == nil {
		t.Error("20 MHz accepted")
	}
}

func TestCaptureErrors(t *testing.T) {
	// Zero FIFO length.
	sp, _ := playback([]conntest.IO{spiW(4, 1), spiW(4, 0x30), spiW(4, 2), spiR(0x41, 8), spiR(0x42, 0), spiR(0x43, 0), spiR(0x44, 0)}, nil)
	d, _ := New(sp, nil, &fastOpts)
	if _, err := d.Capture(ctx); !errors.Is(err, ErrFIFOLength) {
		t.Errorf("zero length: %v", err)
	}
	// Corrupted FIFO: EOI missing.
	j := testJPEG(t, 8, 8)
	bad := append([]byte(nil), j[:len(j)-2]...)
	sp, _ = playback(captureOps(bad, 0, 256), nil)
	d, _ = New(sp, nil, &fastOpts)
	if _, err := d.Capture(ctx); !errors.Is(err, ErrNoJPEG) {
		t.Errorf("no EOI: %v", err)
	}
	// Capture never completes.
	c := &chip{jpeg: j, neverEnd: true}
	d, _ = New(c, nil, &Opts{CaptureTimeout: 10 * time.Millisecond, PollInterval: time.Millisecond})
	if _, err := d.Capture(ctx); !errors.Is(err, ErrCaptureTimeout) {
		t.Errorf("never done: %v", err)
	}
	// Device vanishes mid-burst: the transcript ends.
	ops := captureOps(append([]byte{0}, j...), 0, 256)
	sp, _ = playback(ops[:len(ops)-2], nil)
	d, _ = New(sp, nil, &fastOpts)
	if _, err := d.Capture(ctx); err == nil || errors.Is(err, ErrNoJPEG) {
		t.Errorf("unplugged mid-burst: %v, want a bus error", err)
	}
}

func TestSourceConformance(t *testing.T) {
	j := testJPEG(t, 32, 24)
	sensortest.Run(t, func(t *testing.T) sensors.Source {
		c := &chip{jpeg: j}
		s, err := NewSource(func(context.Context) (Buses, error) { return Buses{SPI: c, I2C: sccb{c}}, nil },
			SourceOptions{Name: "cam1", Address: "/dev/spidev0.0+/dev/i2c-1", Dev: fastOpts, Period: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSourceUnplugReconnect(t *testing.T) {
	j := testJPEG(t, 32, 24)
	first, second := &chip{jpeg: j}, &chip{jpeg: j}
	var mu sync.Mutex
	opens := 0
	open := func(context.Context) (Buses, error) {
		mu.Lock()
		defer mu.Unlock()
		opens++
		switch opens {
		case 1:
			return Buses{SPI: first, I2C: sccb{first}}, nil
		case 2:
			return Buses{}, errors.New("open /dev/spidev0.0: no such file or directory")
		}
		return Buses{SPI: second, I2C: sccb{second}}, nil
	}
	s, _ := NewSource(open, SourceOptions{Name: "c", Address: "a", Dev: fastOpts, Period: time.Millisecond, MinBackoff: time.Millisecond})
	var col sensortest.Collector
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(cctx, col.Emit) }()
	wait := func(n int) {
		t.Helper()
		w, wc := context.WithTimeout(cctx, 3*time.Second)
		defer wc()
		if err := col.WaitN(w, n); err != nil {
			t.Fatalf("have %d of %d frames: %v", col.Len(), n, err)
		}
	}
	wait(2)
	first.mu.Lock()
	first.gone = true
	first.mu.Unlock()
	wait(col.Len() + 2)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	cn := s.Counters()
	if cn.Reconnect != 1 || cn.BusErrors != 2 {
		t.Errorf("counters %+v: want 1 reconnect, 2 bus errors", cn)
	}
	im := col.Frames()[0].(*sensors.Image)
	if im.Width != 32 || im.Height != 24 || im.Format != sensors.Gray8 {
		t.Errorf("image %d×%d format %v", im.Width, im.Height, im.Format)
	}
}

func TestSourceBadFramesReopen(t *testing.T) {
	c := &chip{jpeg: []byte{1, 2, 3}} // FIFO never holds a JPEG
	var mu sync.Mutex
	opens := 0
	open := func(context.Context) (Buses, error) {
		mu.Lock()
		opens++
		mu.Unlock()
		return Buses{SPI: c, I2C: sccb{c}}, nil
	}
	s, _ := NewSource(open, SourceOptions{Name: "c", Address: "a", Dev: fastOpts, Period: time.Millisecond, MinBackoff: time.Millisecond, MaxBadFrames: 3})
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(cctx, func(sensors.Frame) { t.Error("frame from a JPEG-less FIFO") }) }()
	deadline := time.Now().Add(2 * time.Second)
	for s.Counters().Reconnect < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if cn := s.Counters(); cn.Malformed < 3 || cn.Reconnect < 1 {
		t.Errorf("counters %+v: want ≥3 malformed and a reopen", cn)
	}
}

func FuzzExtractDecode(f *testing.F) {
	j := testJPEG(f, 8, 8)
	f.Add(append([]byte{0}, j...))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xD9})
	f.Add([]byte{0xFF, 0xD8, 0x00})
	f.Fuzz(func(t *testing.T, fifo []byte) {
		if len(fifo) > 1<<16 {
			return
		}
		j, err := ExtractJPEG(fifo)
		if err != nil {
			return
		}
		if j[0] != 0xFF || j[1] != 0xD8 || j[len(j)-2] != 0xFF || j[len(j)-1] != 0xD9 {
			t.Fatalf("extracted % x", j)
		}
		if pix, w, h, err := DecodeGray(j); err == nil && len(pix) != w*h {
			t.Fatalf("%d bytes for %d×%d", len(pix), w, h)
		}
	})
}
