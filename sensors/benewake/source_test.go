package benewake

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
)

func TestUARTSourceConformance(t *testing.T) {
	sensortest.Run(t, func(t *testing.T) sensors.Source {
		s, err := NewUARTSource(func(context.Context) (io.ReadCloser, error) { return &liveStream{}, nil },
			SourceOptions{Name: "range0", Address: "/dev/ttyTEST", Model: TFminiS})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestI2CSourceConformance(t *testing.T) {
	sensortest.Run(t, func(t *testing.T) sensors.Source {
		s, err := NewI2CSource(func(context.Context) (i2c.BusCloser, error) { return &liveBus{}, nil },
			I2COpts{}, SourceOptions{Name: "range1", Address: "/dev/i2c-1@0x10", Period: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// opener hands out prepared sessions in order, failing when it has none
// (the device is not there).
type opener[T any] struct {
	mu    sync.Mutex
	next  []T
	calls int
}

var errNoDevice = errors.New("no such device")

func (o *opener[T]) open(context.Context) (T, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	var zero T
	if len(o.next) == 0 {
		return zero, errNoDevice
	}
	v := o.next[0]
	o.next = o.next[1:]
	return v, nil
}

func (o *opener[T]) add(v T) {
	o.mu.Lock()
	o.next = append(o.next, v)
	o.mu.Unlock()
}

func collect(t *testing.T, s *Source) (*sensortest.Collector, context.CancelFunc) {
	var c sensortest.Collector
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, c.Emit) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	return &c, cancel
}

func waitFrames(t *testing.T, c *sensortest.Collector, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.WaitN(ctx, n); err != nil {
		t.Fatalf("have %d of %d frames: %v", c.Len(), n, err)
	}
}

func TestUARTSourceUnplugAndReconnect(t *testing.T) {
	// First session: two frames, a corrupted one, then the USB adapter
	// vanishes (read error). Then two failed opens. Then the device is
	// back and sends frames again.
	first := stream(3)
	first[FrameLen+2] ^= 0x40
	op := &opener[io.ReadCloser]{next: []io.ReadCloser{&byteStream{data: first, chunk: 5, atEnd: io.ErrUnexpectedEOF}}}
	s, err := NewUARTSource(op.open, SourceOptions{Name: "r", Address: "/dev/ttyUSB0", MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := collect(t, s)
	waitFrames(t, c, 2)
	// Let the opener fail a few times before the device returns.
	deadline := time.Now().Add(2 * time.Second)
	for {
		op.mu.Lock()
		calls := op.calls
		op.mu.Unlock()
		if calls >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !errors.Is(s.LastError(), errNoDevice) {
		t.Errorf("LastError = %v, want the open failure", s.LastError())
	}
	op.add(&byteStream{data: stream(2)})
	waitFrames(t, c, 4)

	got := c.Frames()
	wantCM := []float32{1.00, 1.02, 1.00, 1.01}
	for i, f := range got[:4] {
		r := f.(*sensors.Range)
		if r.Distance != wantCM[i] || r.Seq != uint64(i+1) {
			t.Errorf("frame %d: %v m seq %d, want %v m seq %d", i, r.Distance, r.Seq, wantCM[i], i+1)
		}
	}
	cn := s.Counters()
	if cn.Reconnect != 1 || cn.Malformed != 1 || cn.BusErrors < 3 || cn.Frames != 4 || cn.Bytes != 5*FrameLen {
		t.Errorf("counters %+v: want 1 reconnect, 1 malformed, ≥3 bus errors (lost + 2 opens), 4 frames, 45 bytes", cn)
	}
}

func TestUARTSourceTimeoutReopens(t *testing.T) {
	// A device that goes silent mid-stream is reopened after Timeout.
	op := &opener[io.ReadCloser]{next: []io.ReadCloser{&byteStream{data: stream(1)}, &byteStream{data: stream(1)}}}
	s, _ := NewUARTSource(op.open, SourceOptions{Name: "r", Address: "x", Timeout: 20 * time.Millisecond, MinBackoff: time.Millisecond})
	c, _ := collect(t, s)
	waitFrames(t, c, 2)
	if cn := s.Counters(); cn.Reconnect != 1 || cn.BusErrors < 1 {
		t.Errorf("counters %+v", cn)
	}
	if !errors.Is(s.LastError(), ErrTimeout) && !errors.Is(s.LastError(), errNoDevice) {
		t.Errorf("LastError = %v", s.LastError())
	}
}

func TestI2CSourceNACKsThenGone(t *testing.T) {
	good := i2ctest.IO{Addr: 0x10, W: []byte{0x00}, R: []byte{0xf4, 0x01, 0x10, 0x27, 0x2c, 0x0b}}
	// One NACK is counted and retried; then the transcript ends and every
	// Tx fails: after MaxBusErrors the bus is closed and reopened.
	bus1 := &flakyBus{Playback: i2ctest.Playback{Ops: []i2ctest.IO{good, good}, DontPanic: true}, fail: map[int]bool{1: true}}
	bus2 := &i2ctest.Playback{Ops: []i2ctest.IO{good}, DontPanic: true}
	op := &opener[i2c.BusCloser]{next: []i2c.BusCloser{bus1, bus2}}
	s, err := NewI2CSource(op.open, I2COpts{}, SourceOptions{Name: "r", Address: "/dev/i2c-1@0x10", Period: time.Millisecond, MaxBusErrors: 3, MinBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := collect(t, s)
	waitFrames(t, c, 3)
	for _, f := range c.Frames()[:3] {
		if r := f.(*sensors.Range); r.Distance != 5 || r.TempC != 28.6 || r.Strength != float32(10000)/30000 {
			t.Errorf("frame %+v", r)
		}
	}
	cn := s.Counters()
	// bus1: 1 NACK + 3 failures ending the session (2 counted singly, 1 as the session end).
	if cn.Reconnect != 1 || cn.BusErrors < 4 {
		t.Errorf("counters %+v, want 1 reconnect and ≥4 bus errors", cn)
	}
}

func TestSourceOptionsValidate(t *testing.T) {
	op := func(context.Context) (io.ReadCloser, error) { return nil, errNoDevice }
	bad := []SourceOptions{
		{Address: "x"},
		{Name: "x"},
		{Name: "x", Address: "x", Model: 7},
		{Name: "x", Address: "x", MinBackoff: time.Second, MaxBackoff: time.Millisecond},
	}
	for _, o := range bad {
		if _, err := NewUARTSource(op, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := NewI2CSource(nil, I2COpts{}, SourceOptions{Name: "x", Address: "x", Model: TFminiS}); err == nil {
		t.Error("TFmini-S accepted on I²C")
	}
}
