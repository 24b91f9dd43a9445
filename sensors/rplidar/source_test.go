package rplidar

import (
	"context"
	"errors"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

func TestSourceConformance(t *testing.T) {
	sensortest.Run(t, func(t *testing.T) sensors.Source {
		s, err := NewSource(func(context.Context) (io.ReadWriteCloser, error) { return &fakeLidar{}, nil },
			SourceOptions{Name: "lidar1", Address: "/dev/ttyUSB0"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// lidars hands out fake devices in order; nil entries fail to open.
type lidars struct {
	mu    sync.Mutex
	devs  []*fakeLidar
	calls int
}

var errNoPort = errors.New("no such file or directory")

func (l *lidars) open(context.Context) (io.ReadWriteCloser, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if len(l.devs) == 0 || l.devs[0] == nil {
		if len(l.devs) > 0 {
			l.devs = l.devs[1:]
		}
		return nil, errNoPort
	}
	d := l.devs[0]
	l.devs = l.devs[1:]
	return d, nil
}

func run(t *testing.T, s *Source) *sensortest.Collector {
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
	return &c
}

func wait(t *testing.T, c *sensortest.Collector, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.WaitN(ctx, n); err != nil {
		t.Fatalf("have %d of %d scans: %v", c.Len(), n, err)
	}
}

func TestSourceScans(t *testing.T) {
	dev := &fakeLidar{points: 24}
	l := &lidars{devs: []*fakeLidar{dev}}
	s, _ := NewSource(l.open, SourceOptions{Name: "l", Address: "a"})
	c := run(t, s)
	wait(t, c, 3)
	for i, f := range c.Frames()[:3] {
		sc := f.(*sensors.Scan)
		if len(sc.Points) != 24 || sc.Rings != 1 || sc.Seq != uint64(i+1) {
			t.Fatalf("scan %d: %d points, %d rings, seq %d", i, len(sc.Points), sc.Rings, sc.Seq)
		}
		p := sc.Points[6] // 90°, 1.006 m
		if math.Abs(float64(p.Azimuth)-math.Pi/2) > 1e-4 || math.Abs(float64(p.X)-1.006) > 1e-4 || p.Intensity != float32(47)/63 {
			t.Errorf("scan %d point 6: %+v", i, p)
		}
		if !sc.Received.After(sc.Stamp) && !sc.Received.Equal(sc.Stamp) {
			t.Errorf("scan %d received %v before stamp %v", i, sc.Received, sc.Stamp)
		}
	}
	if di, ok := s.DeviceInfo(); !ok || di.ModelName() != "RPLIDAR A1" || s.Info().Model != "RPLIDAR A1" {
		t.Errorf("device info %+v %v", di, ok)
	}
	cmds := dev.cmds()
	if len(cmds) < 4 || cmds[0] != CmdStop || cmds[1] != CmdGetHealth || cmds[2] != CmdGetInfo || cmds[3] != CmdScan {
		t.Errorf("session commands % x, want STOP GET_HEALTH GET_INFO SCAN", cmds)
	}
}

func TestSourceCorruptedStream(t *testing.T) {
	n := 0
	dev := &fakeLidar{points: 24, corrupt: func(b []byte) []byte {
		n++
		if n%5 == 0 {
			b[6] ^= 0x01 // clear C of the second sample in every fifth chunk
		}
		return b
	}}
	s, _ := NewSource((&lidars{devs: []*fakeLidar{dev}}).open, SourceOptions{Name: "l", Address: "a"})
	c := run(t, s)
	wait(t, c, 4)
	cn := s.Counters()
	if cn.Resyncs == 0 || cn.Malformed == 0 || cn.Reconnect != 0 {
		t.Errorf("counters %+v: want resyncs and malformed samples, no reconnect", cn)
	}
	for _, f := range c.Frames() {
		if err := sensortest.CheckFrame(f); err != nil {
			t.Fatal(err)
		}
		if k := len(f.(*sensors.Scan).Points); k > 24 {
			t.Fatalf("scan with %d points from a 24-point device", k)
		}
	}
}

func TestSourceUnplugReconnect(t *testing.T) {
	first, second := &fakeLidar{points: 12}, &fakeLidar{points: 12}
	l := &lidars{devs: []*fakeLidar{first, nil, nil, second}}
	s, _ := NewSource(l.open, SourceOptions{Name: "l", Address: "/dev/ttyUSB0", MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	c := run(t, s)
	wait(t, c, 2)
	first.unplug()
	n := c.Len()
	wait(t, c, n+2)
	cn := s.Counters()
	if cn.Reconnect != 1 || cn.BusErrors < 3 {
		t.Errorf("counters %+v: want 1 reconnect, ≥3 bus errors (read + 2 opens)", cn)
	}
	fr := c.Frames()
	for i := 1; i < len(fr); i++ {
		if fr[i].Head().Seq != fr[i-1].Head().Seq+1 {
			t.Fatalf("Seq %d then %d", fr[i-1].Head().Seq, fr[i].Head().Seq)
		}
	}
	if second.cmds()[0] != CmdStop {
		t.Errorf("new session did not start with STOP: % x", second.cmds())
	}
}

func TestSourceHealthErrorResets(t *testing.T) {
	dev := &fakeLidar{points: 12, health: Health{Status: HealthBad, ErrorCode: 0x8001}}
	l := &lidars{devs: []*fakeLidar{dev, {points: 12}}}
	s, _ := NewSource(l.open, SourceOptions{Name: "l", Address: "a", MinBackoff: time.Millisecond, ResetWait: time.Millisecond})
	c := run(t, s)
	wait(t, c, 1)
	if !errors.As(s.LastError(), new(*HealthError)) {
		t.Errorf("LastError = %v, want a HealthError", s.LastError())
	}
	if n := dev.resetCount(); n != 1 {
		t.Errorf("resets = %d, want 1", n)
	}
	cn := s.Counters()
	if cn.BusErrors < 1 || cn.Reconnect != 1 {
		t.Errorf("counters %+v", cn)
	}
}

func TestSourceMotorStoppedTimesOut(t *testing.T) {
	// The A1 motor never starts (DTR stuck high): no samples, so the
	// session times out and the device is reopened.
	dev := &fakeLidar{}
	stuck := &stuckDTR{dev}
	var mu sync.Mutex
	opens := 0
	open := func(context.Context) (io.ReadWriteCloser, error) {
		mu.Lock()
		opens++
		mu.Unlock()
		return stuck, nil
	}
	s, _ := NewSource(open, SourceOptions{Name: "l", Address: "a", Dev: Opts{Timeout: 20 * time.Millisecond}, MinBackoff: time.Millisecond})
	_ = run(t, s)
	deadline := time.Now().Add(2 * time.Second)
	for {
		if errors.Is(s.LastError(), ErrTimeout) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("LastError = %v, want ErrTimeout", s.LastError())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type stuckDTR struct{ *fakeLidar }

func (s *stuckDTR) SetDTR(bool) error { return s.fakeLidar.SetDTR(true) }
func (s *stuckDTR) Close() error      { return nil }
