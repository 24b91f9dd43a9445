package transporttest

import (
	"context"
	"sync"

	"github.com/sensortrust/trustagent/transport"
)

// Recorder is a transport.Publisher that keeps messages in memory.
// The zero value is ready to use.
type Recorder struct {
	mu     sync.Mutex
	msgs   []transport.Message
	closed bool
	// Err, when set, is returned by Publish instead of recording.
	Err error
}

// Publish records m.
func (r *Recorder) Publish(ctx context.Context, m transport.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return transport.ErrClosed
	}
	if r.Err != nil {
		return r.Err
	}
	m.Payload = append([]byte(nil), m.Payload...)
	r.msgs = append(r.msgs, m)
	return nil
}

// Close marks the recorder closed.
func (r *Recorder) Close(context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return nil
}

// Messages returns a copy of the messages recorded so far.
func (r *Recorder) Messages() []transport.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]transport.Message(nil), r.msgs...)
}

// Sequencer is an in-memory transport.Sequencer starting at 1 per key.
// The zero value is ready to use.
type Sequencer struct {
	mu sync.Mutex
	n  map[string]uint64
}

// Next returns the next number for key.
func (s *Sequencer) Next(key string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[string]uint64{}
	}
	s.n[key]++
	return s.n[key]
}
