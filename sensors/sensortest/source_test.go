package sensortest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newFake(t *testing.T, frames []sensors.Frame, opts SourceOptions) *Source {
	t.Helper()
	s, err := NewSource(sensors.Info{Name: "s0"}, frames, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSourceConformance(t *testing.T) {
	t.Run("ScanPeriodic", func(t *testing.T) {
		Run(t, func(t *testing.T) sensors.Source {
			fr := Series(2, t0, 100*time.Millisecond, func(seq uint64, st time.Time) sensors.Frame {
				return Room{Columns: 90}.Scan("x", seq, st)
			})
			return newFake(t, fr, SourceOptions{Period: time.Millisecond, Loop: true})
		})
	})
	t.Run("ImageFast", func(t *testing.T) {
		Run(t, func(t *testing.T) sensors.Source {
			return newFake(t, []sensors.Frame{GrayImage("x", 1, t0, 32, 24)}, SourceOptions{Loop: true})
		})
	})
	t.Run("RangeUnpluggedThenReplugged", func(t *testing.T) {
		Run(t, func(t *testing.T) sensors.Source {
			s := newFake(t, []sensors.Frame{RangeReading("x", 1, t0, 2)}, SourceOptions{Loop: true, StopAfter: 1})
			go func() { time.Sleep(5 * time.Millisecond); s.Replug() }()
			return s
		})
	})
}

func runCollect(t *testing.T, s *Source) (*Collector, context.CancelFunc, <-chan error) {
	t.Helper()
	var c Collector
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, c.Emit) }()
	t.Cleanup(func() { cancel(); <-done })
	return &c, cancel, done
}

func waitN(t *testing.T, c *Collector, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.WaitN(ctx, n); err != nil {
		t.Fatalf("waiting for %d frames, have %d: %v", n, c.Len(), err)
	}
}

func TestSourceReplaysOnceThenNoData(t *testing.T) {
	fr := Series(3, t0, time.Second, func(seq uint64, st time.Time) sensors.Frame { return RangeReading("x", seq, st, float32(seq)) })
	s := newFake(t, fr, SourceOptions{KeepStamps: true})
	var c Collector
	err := s.Run(context.Background(), c.Emit)
	if !errors.Is(err, sensors.ErrNoData) {
		t.Fatalf("Run = %v, want ErrNoData", err)
	}
	got := c.Frames()
	if len(got) != 3 {
		t.Fatalf("got %d frames, want 3", len(got))
	}
	for i, f := range got {
		r := f.(*sensors.Range)
		if r.Distance != float32(i+1) || r.Seq != uint64(i+1) || r.Sensor != "s0" {
			t.Errorf("frame %d = %+v", i, r)
		}
		if !r.Stamp.Equal(t0.Add(time.Duration(i) * time.Second)) {
			t.Errorf("frame %d stamp %v not kept", i, r.Stamp)
		}
		if f == fr[i] {
			t.Errorf("frame %d delivered without copying", i)
		}
	}
	if c := s.Counters(); c.Frames != 3 || c.Bytes != 27 {
		t.Errorf("counters %+v", c)
	}
}

func TestSourceDeepCopies(t *testing.T) {
	im := GrayImage("x", 1, t0, 8, 8)
	s := newFake(t, []sensors.Frame{im}, SourceOptions{})
	var c Collector
	_ = s.Run(context.Background(), c.Emit)
	got := c.Frames()[0].(*sensors.Image)
	got.Pix[0] = 99
	if im.Pix[0] == 99 {
		t.Fatal("delivered image shares Pix with the source's frame")
	}
}

func TestSourceUnplugReplug(t *testing.T) {
	s := newFake(t, []sensors.Frame{RangeReading("x", 1, t0, 1)}, SourceOptions{Period: time.Millisecond, Loop: true})
	c, _, _ := runCollect(t, s)
	waitN(t, c, 3)
	s.Unplug()
	time.Sleep(5 * time.Millisecond) // let an in-flight tick land
	n := c.Len()
	time.Sleep(30 * time.Millisecond)
	if got := c.Len(); got != n {
		t.Fatalf("unplugged source delivered %d more frames", got-n)
	}
	if be := s.Counters().BusErrors; be < 2 {
		t.Errorf("BusErrors = %d while unplugged for ~30 periods, want ≥ 2", be)
	}
	s.Replug()
	waitN(t, c, n+3)
	if r := s.Counters().Reconnect; r != 1 {
		t.Errorf("Reconnect = %d, want 1", r)
	}
	fs := c.Frames()
	for i := 1; i < len(fs); i++ {
		if fs[i].Head().Seq != fs[i-1].Head().Seq+1 {
			t.Fatalf("Seq jumps from %d to %d across unplug", fs[i-1].Head().Seq, fs[i].Head().Seq)
		}
	}
}

func TestSourceStopAfterFastMode(t *testing.T) {
	s := newFake(t, []sensors.Frame{RangeReading("x", 1, t0, 1)}, SourceOptions{Loop: true, StopAfter: 5})
	c, _, done := runCollect(t, s)
	waitN(t, c, 5)
	time.Sleep(20 * time.Millisecond)
	if c.Len() != 5 {
		t.Fatalf("delivered %d frames, want 5 then silence", c.Len())
	}
	select {
	case err := <-done:
		t.Fatalf("silent source returned %v; it must keep waiting", err)
	default:
	}
	s.Replug()
	waitN(t, c, 10)
}

func TestSourceFail(t *testing.T) {
	s := newFake(t, []sensors.Frame{RangeReading("x", 1, t0, 1)}, SourceOptions{Loop: true, StopAfter: 1})
	var c Collector
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), c.Emit) }()
	waitN(t, &c, 1)
	s.Fail(ErrUnplugged)
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnplugged) {
			t.Fatalf("Run = %v, want ErrUnplugged", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after Fail")
	}
}

func TestNewSourceValidates(t *testing.T) {
	if _, err := NewSource(sensors.Info{}, nil, SourceOptions{Period: -1}); err == nil {
		t.Error("negative period accepted")
	}
	if _, err := NewSource(sensors.Info{Kind: sensors.KindLidar}, []sensors.Frame{RangeReading("x", 1, t0, 1)}, SourceOptions{}); err == nil {
		t.Error("range frame accepted for a lidar source")
	}
	if _, err := NewSource(sensors.Info{}, []sensors.Frame{nil}, SourceOptions{}); err == nil {
		t.Error("nil frame accepted")
	}
	s, err := NewSource(sensors.Info{}, nil, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background(), func(sensors.Frame) {}); !errors.Is(err, sensors.ErrNoData) {
		t.Errorf("empty source Run = %v, want ErrNoData", err)
	}
}
