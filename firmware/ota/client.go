package ota

import "context"

// Client is the narrow MQTT client ota needs. Publish sends with QoS 1 and
// returns once the broker has acknowledged the message (or ctx ends).
// Subscribe registers h for messages on topic (QoS 1); h runs on the
// client's goroutine, must not block and owns payload.
type Client interface {
	Publisher
	Subscribe(ctx context.Context, topic string, h func(payload []byte)) error
	Unsubscribe(ctx context.Context, topic string) error
}

// Publisher publishes one message with QoS 1. A receiver needs only this:
// inside trustd the transport client delivers the commands.
type Publisher interface {
	Publish(ctx context.Context, topic string, payload []byte, retained bool) error
}

// CommandTopic is where bundles arrive: <prefix>/cmd/model.
func CommandTopic(prefix string) string { return prefix + "/cmd/model" }

// StatusTopic is where the receiver reports: <prefix>/model/status.
func StatusTopic(prefix string) string { return prefix + "/model/status" }
