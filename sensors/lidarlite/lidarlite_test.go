package lidarlite

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
)

// measureOps is the transcript of one measurement: command, statuses
// polled (all but the last busy), distance.
func measureOps(cmd byte, statuses []byte, cm uint16) []i2ctest.IO {
	ops := []i2ctest.IO{{Addr: 0x62, W: []byte{0x00, cmd}}}
	for _, st := range statuses {
		ops = append(ops, i2ctest.IO{Addr: 0x62, W: []byte{0x01}}, i2ctest.IO{Addr: 0x62, R: []byte{st}})
	}
	return append(ops, i2ctest.IO{Addr: 0x62, W: []byte{0x8f}}, i2ctest.IO{Addr: 0x62, R: []byte{byte(cm >> 8), byte(cm)}})
}

func TestMeasure(t *testing.T) {
	var ops []i2ctest.IO
	ops = append(ops, measureOps(0x04, []byte{0x21, 0x21, 0x20}, 300)...) // bias-corrected, busy twice
	ops = append(ops, measureOps(0x03, []byte{0x20}, 1234)...)
	ops = append(ops, measureOps(0x04, []byte{0x28}, 1)...) // invalid signal: no target
	bus := &i2ctest.Playback{Ops: ops}
	d, err := New(bus, &Opts{BiasEvery: 2, PollInterval: time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := []struct {
		cm     uint16
		metres float32
		valid  bool
	}{{300, 3, true}, {1234, 12.34, true}, {1, 0, false}}
	for i, w := range want {
		m, err := d.Measure(ctx)
		if err != nil {
			t.Fatalf("measurement %d: %v", i, err)
		}
		if m.DistanceCM != w.cm || m.Metres() != w.metres || m.Valid() != w.valid {
			t.Errorf("measurement %d = %+v (%v m, valid %v), want %+v", i, m, m.Metres(), m.Valid(), w)
		}
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
}

// busyBus is a device that never finishes measuring.
type busyBus struct{ liveBus }

func (b *busyBus) Tx(addr uint16, w, r []byte) error {
	if len(r) == 1 {
		r[0] = StatusBusy | StatusHealthy
	}
	return nil
}

func TestMeasureBusyTimeout(t *testing.T) {
	d, _ := New(&busyBus{}, &Opts{BusyTimeout: 5 * time.Millisecond, PollInterval: time.Millisecond})
	if _, err := d.Measure(context.Background()); !errors.Is(err, ErrBusyTimeout) {
		t.Fatalf("Measure = %v, want ErrBusyTimeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, _ = New(&busyBus{}, &Opts{BusyTimeout: time.Hour})
	if _, err := d.Measure(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Measure with cancelled ctx = %v", err)
	}
}

var errNACK = errors.New("i2c: NACK")

type flakyBus struct {
	i2ctest.Playback
	fail map[int]bool
	n    int
}

func (b *flakyBus) Tx(addr uint16, w, r []byte) error {
	b.n++
	if b.fail[b.n-1] {
		return errNACK
	}
	return b.Playback.Tx(addr, w, r)
}

func TestMeasureNACK(t *testing.T) {
	for _, at := range []int{0, 1, 2, 3, 4} { // each step of a measurement
		bus := &flakyBus{Playback: i2ctest.Playback{Ops: measureOps(0x04, []byte{0x20}, 5), DontPanic: true}, fail: map[int]bool{at: true}}
		d, _ := New(bus, nil)
		if _, err := d.Measure(context.Background()); !errors.Is(err, errNACK) {
			t.Errorf("NACK at transaction %d: Measure = %v", at, err)
		}
	}
	// Garbage: a corrupted status byte claiming busy forever is a timeout,
	// not a hang; covered by TestMeasureBusyTimeout.
	if _, err := New(nil, &Opts{Addr: 0x90}); err == nil {
		t.Error("address 0x90 accepted")
	}
}

// liveBus emulates the device's registers.
type liveBus struct {
	mu     sync.Mutex
	reg    byte
	n      uint16
	closed bool
}

func (b *liveBus) String() string                  { return "live" }
func (b *liveBus) SetSpeed(physic.Frequency) error { return nil }
func (b *liveBus) Close() error                    { b.mu.Lock(); b.closed = true; b.mu.Unlock(); return nil }
func (b *liveBus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return os.ErrClosed
	}
	if addr != DefaultAddr {
		return errNACK
	}
	switch {
	case len(w) == 2 && w[0] == regAcqCommand:
		b.n++
	case len(w) == 1:
		b.reg = w[0]
	case len(r) == 1 && b.reg == regStatus:
		r[0] = StatusHealthy
	case len(r) == 2 && b.reg == regDistanceAuto:
		r[0], r[1] = byte((200+b.n)>>8), byte(200+b.n)
	default:
		return errNACK
	}
	return nil
}

func TestSourceConformance(t *testing.T) {
	sensortest.Run(t, func(t *testing.T) sensors.Source {
		s, err := NewSource(func(context.Context) (i2c.BusCloser, error) { return &liveBus{}, nil },
			SourceOptions{Name: "range2", Address: "/dev/i2c-1@0x62", Period: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSourceUnplugReconnect(t *testing.T) {
	// Bus 1 serves one measurement then the device vanishes (every Tx
	// fails); the opener then fails once; bus 2 is a working device.
	bus1 := &i2ctest.Playback{Ops: measureOps(0x04, []byte{0x20}, 150), DontPanic: true}
	var mu sync.Mutex
	calls := 0
	open := func(context.Context) (i2c.BusCloser, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		switch calls {
		case 1:
			return bus1, nil
		case 2:
			return nil, io.ErrUnexpectedEOF
		}
		return &liveBus{}, nil
	}
	s, err := NewSource(open, SourceOptions{Name: "r", Address: "a", Period: time.Millisecond, MaxBusErrors: 2, MinBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var c sensortest.Collector
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, c.Emit) }()
	wctx, wcancel := context.WithTimeout(ctx, 3*time.Second)
	err = c.WaitN(wctx, 3)
	wcancel()
	cancel()
	if rerr := <-done; rerr != nil {
		t.Errorf("Run = %v", rerr)
	}
	if err != nil {
		t.Fatalf("have %d frames: %v", c.Len(), err)
	}
	fr := c.Frames()
	if r := fr[0].(*sensors.Range); r.Distance != 1.5 || r.Strength != 1 || !math.IsNaN(float64(r.TempC)) {
		t.Errorf("first reading %+v", r)
	}
	if r := fr[1].(*sensors.Range); r.Distance != 2.01 || r.Seq != 2 {
		t.Errorf("first reading after reconnect %+v", r)
	}
	cn := s.Counters()
	if cn.Reconnect != 1 || cn.BusErrors != 3 {
		t.Errorf("counters %+v, want 1 reconnect, 3 bus errors (2 failed measurements, 1 failed open)", cn)
	}
	if s.LastError() == nil {
		t.Error("LastError is nil after failures")
	}
}
