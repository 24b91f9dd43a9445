package reconnect

import (
	"errors"
	"sync"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

func TestHealthCounts(t *testing.T) {
	var h Health
	if h.LastError() != nil || h.Counters() != (sensors.Counters{}) {
		t.Fatal("zero Health is not empty")
	}
	bus, bad := errors.New("nack"), errors.New("bad frame")
	h.Fail(bus)
	if h.LastError() != bus {
		t.Errorf("last error %v, want %v", h.LastError(), bus)
	}
	h.Malformed(bad)
	if h.LastError() != bad {
		t.Errorf("last error %v, want %v", h.LastError(), bad)
	}
	if s1, s2 := h.Delivered(10), h.Delivered(5); s1 != 1 || s2 != 2 {
		t.Errorf("sequence numbers %d, %d; want 1, 2", s1, s2)
	}
	h.Update(func(c *sensors.Counters) { c.Drops += 3 })
	want := sensors.Counters{Frames: 2, Bytes: 15, Malformed: 1, Drops: 3, BusErrors: 1}
	if got := h.Counters(); got != want {
		t.Errorf("counters %+v, want %+v", got, want)
	}
}

// Run under -race: readers and the writer share h.
func TestHealthConcurrent(t *testing.T) {
	var h Health
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 1000 {
			h.Delivered(1)
			h.Fail(errors.New("x"))
		}
	}()
	go func() {
		defer wg.Done()
		for range 1000 {
			_ = h.Counters()
			_ = h.LastError()
		}
	}()
	wg.Wait()
	if c := h.Counters(); c.Frames != 1000 || c.BusErrors != 1000 {
		t.Errorf("counters %+v, want 1000 frames and bus errors", c)
	}
}
