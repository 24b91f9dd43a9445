package otapaho

import (
	"context"
	"fmt"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/firmware/ota"
)

// Client is an ota.Client over a connected paho client. It publishes and
// subscribes with QoS 1.
type Client struct {
	c paho.Client
}

var _ ota.Client = (*Client)(nil)

// New wraps c; the caller connects and disconnects it.
func New(c paho.Client) *Client { return &Client{c: c} }

// wait turns a token into an error, giving up when ctx ends.
func wait(ctx context.Context, tok paho.Token, what string) error {
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("otapaho: %s: %w", what, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("otapaho: %s: %w", what, ctx.Err())
	}
}

// Publish implements ota.Publisher.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, retained bool) error {
	return wait(ctx, c.c.Publish(topic, 1, retained, payload), "publish "+topic)
}

// Subscribe implements ota.Client. h gets a copy of each payload.
func (c *Client) Subscribe(ctx context.Context, topic string, h func(payload []byte)) error {
	tok := c.c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		h(append([]byte(nil), m.Payload()...))
	})
	return wait(ctx, tok, "subscribe "+topic)
}

// Unsubscribe implements ota.Client.
func (c *Client) Unsubscribe(ctx context.Context, topic string) error {
	return wait(ctx, c.c.Unsubscribe(topic), "unsubscribe "+topic)
}
