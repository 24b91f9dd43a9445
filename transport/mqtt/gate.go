package mqtt

import (
	"context"
	"sync"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// gate holds publications back from the moment a connection attempt starts
// until paho has taken its snapshot of the store to resend (resume calls
// Store.All once per connection). paho marks connected before resume, and a
// message published in between lands in the snapshot too: it goes out twice,
// and resume sets its DUP flag while the network goroutine writes it (a data
// race in paho v1.5.1). Closed, the gate makes Publish wait instead.
type gate struct {
	mu sync.Mutex
	ch chan struct{} // nil: open
}

func (g *gate) close() {
	g.mu.Lock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	g.mu.Unlock()
}

func (g *gate) open() {
	g.mu.Lock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
	g.mu.Unlock()
}

// wait returns nil once the gate is open, or the error of whichever
// context ends first.
func (g *gate) wait(ctx, closing context.Context) error {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-closing.Done():
		return closing.Err()
	}
}

// gatedStore is paho's ordered memory store that opens the gate when paho
// takes the snapshot to resend.
type gatedStore struct {
	*paho.OrderedMemoryStore
	gate *gate
}

func (s *gatedStore) All() []string {
	keys := s.OrderedMemoryStore.All()
	s.gate.open()
	return keys
}
