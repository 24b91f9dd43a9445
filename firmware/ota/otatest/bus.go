package otatest

import (
	"context"
	"errors"
	"sync"

	"github.com/sensortrust/trustagent/firmware/ota"
)

// ErrDisconnected is returned by a cut-off client.
var ErrDisconnected = errors.New("otatest: disconnected")

// Bus is an in-memory broker.
type Bus struct {
	mu       sync.Mutex
	subs     map[string]map[*Client]func([]byte)
	retained map[string][]byte
	// Drop, if set, is asked for every delivery; returning true loses it.
	Drop func(topic string, payload []byte) bool
	// Duplicate, if set, is asked for every delivery; returning true
	// delivers it twice (QoS 1 is at least once).
	Duplicate func(topic string, payload []byte) bool
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: map[string]map[*Client]func([]byte){}, retained: map[string][]byte{}}
}

// Client returns a new connected client.
func (b *Bus) Client() *Client { return &Client{bus: b} }

// Retained returns the retained payload of topic.
func (b *Bus) Retained(topic string) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.retained[topic]
}

// Client is one connection to a Bus.
type Client struct {
	bus *Bus
	mu  sync.Mutex
	cut bool
}

var _ ota.Client = (*Client)(nil)

// Disconnect cuts the client off: publishes fail and nothing is delivered.
func (c *Client) Disconnect() {
	c.mu.Lock()
	c.cut = true
	c.mu.Unlock()
}

func (c *Client) down() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut
}

// Publish implements ota.Client. Delivery is synchronous; handlers must not
// block (as with a real client).
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, retained bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.down() {
		return ErrDisconnected
	}
	b := c.bus
	b.mu.Lock()
	if retained {
		b.retained[topic] = append([]byte(nil), payload...)
	}
	var hs []func([]byte)
	for sub, h := range b.subs[topic] {
		if !sub.down() {
			hs = append(hs, h)
		}
	}
	drop, dup := b.Drop, b.Duplicate
	b.mu.Unlock()
	for _, h := range hs {
		if drop != nil && drop(topic, payload) {
			continue
		}
		h(append([]byte(nil), payload...))
		if dup != nil && dup(topic, payload) {
			h(append([]byte(nil), payload...))
		}
	}
	return nil
}

// Subscribe implements ota.Client; a retained message is delivered at once.
func (c *Client) Subscribe(ctx context.Context, topic string, h func([]byte)) error {
	if c.down() {
		return ErrDisconnected
	}
	b := c.bus
	b.mu.Lock()
	if b.subs[topic] == nil {
		b.subs[topic] = map[*Client]func([]byte){}
	}
	b.subs[topic][c] = h
	r := b.retained[topic]
	b.mu.Unlock()
	if r != nil {
		h(append([]byte(nil), r...))
	}
	return nil
}

// Unsubscribe implements ota.Client.
func (c *Client) Unsubscribe(ctx context.Context, topic string) error {
	b := c.bus
	b.mu.Lock()
	delete(b.subs[topic], c)
	b.mu.Unlock()
	return nil
}
