package reconnect

import (
	"sync"

	"github.com/sensortrust/trustagent/sensors"
)

// Counters is sensors.Counters, named here for Update's callers.
type Counters = sensors.Counters

// Health is a source's counters, last error and frame sequence number,
// safe for concurrent use. The zero value is ready.
type Health struct {
	mu   sync.Mutex
	c    sensors.Counters
	last error
	seq  uint64
}

// Counters returns a copy of the counters (it implements sensors.Counted).
func (h *Health) Counters() sensors.Counters {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.c
}

// LastError is the most recent failure recorded, or nil.
func (h *Health) LastError() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// Fail counts a bus error and records err as the last error.
func (h *Health) Fail(err error) {
	h.mu.Lock()
	h.c.BusErrors++
	h.last = err
	h.mu.Unlock()
}

// Malformed counts a rejected frame and records err as the last error.
func (h *Health) Malformed(err error) {
	h.mu.Lock()
	h.c.Malformed++
	h.last = err
	h.mu.Unlock()
}

// Update applies f to the counters under the lock; f must not call h.
func (h *Health) Update(f func(*Counters)) {
	h.mu.Lock()
	f(&h.c)
	h.mu.Unlock()
}

// Delivered counts a frame of n payload bytes and returns its sequence
// number (1 for the first frame).
func (h *Health) Delivered(n uint64) (seq uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	h.c.Frames++
	h.c.Bytes += n
	return h.seq
}
