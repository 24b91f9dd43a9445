package sensortest

import (
	"context"
	"sync"

	"github.com/sensortrust/trustagent/sensors"
)

// Collector gathers emitted frames; its Emit method is safe to pass to
// Source.Run while other goroutines wait on it. The zero value is ready.
type Collector struct {
	mu     sync.Mutex
	frames []sensors.Frame
	signal chan struct{} // closed and replaced on every Emit
}

// Emit appends f. It never blocks for long.
func (c *Collector) Emit(f sensors.Frame) {
	c.mu.Lock()
	c.frames = append(c.frames, f)
	if c.signal != nil {
		close(c.signal)
		c.signal = nil
	}
	c.mu.Unlock()
}

// Len is the number of frames collected.
func (c *Collector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.frames)
}

// Frames returns a copy of the collected frame list.
func (c *Collector) Frames() []sensors.Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sensors.Frame(nil), c.frames...)
}

// WaitN blocks until at least n frames were collected or ctx ends, whose
// error it then returns.
func (c *Collector) WaitN(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		if len(c.frames) >= n {
			c.mu.Unlock()
			return nil
		}
		if c.signal == nil {
			c.signal = make(chan struct{})
		}
		sig := c.signal
		c.mu.Unlock()
		select {
		case <-sig:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
