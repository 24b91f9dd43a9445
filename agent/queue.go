package agent

import (
	"sync"

	"github.com/sensortrust/trustagent/agent/streamcheck"
	"github.com/sensortrust/trustagent/sensors"
)

// item is one frame waiting for the worker, with its arrival-time timing
// verdict.
type item struct {
	frame  sensors.Frame
	timing streamcheck.Frame
}

// queue is a bounded FIFO that drops the oldest item when full, so that a
// driver never blocks on a slow worker.
type queue struct {
	mu      sync.Mutex
	buf     []item
	head, n int
	dropped uint64
	ready   chan struct{} // capacity 1: "there may be items"
}

func newQueue(capacity int) *queue {
	return &queue{buf: make([]item, capacity), ready: make(chan struct{}, 1)}
}

// push adds it, dropping the oldest item when full; it reports whether one
// was dropped.
func (q *queue) push(it item) (dropped bool) {
	q.mu.Lock()
	if q.n == len(q.buf) {
		q.buf[q.head] = item{}
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.dropped++
		dropped = true
	}
	q.buf[(q.head+q.n)%len(q.buf)] = it
	q.n++
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return dropped
}

// pop takes the oldest item, if any.
func (q *queue) pop() (item, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return item{}, false
	}
	it := q.buf[q.head]
	q.buf[q.head] = item{}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return it, true
}

// drops returns the number of items dropped so far.
func (q *queue) drops() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}
