package transport

import (
	"context"
	"errors"
)

// Publisher is the last stage of the pipeline: source → scorer → decision →
// publisher.
//
// Publish hands one message over. It returns once the publisher has taken
// responsibility for it (the outbox: written to disk, or held in memory when
// the disk fails), not when a broker has acknowledged it; it blocks only as
// long as that takes and honours ctx. Publish is safe for concurrent use;
// messages published from one goroutine leave in the order given, per topic.
// The publisher owns m.Payload after the call; the caller must not change it.
//
// Close stops the publisher: it tries to deliver what is pending until ctx
// is done, then releases everything and returns. Publish after Close returns
// ErrClosed.
type Publisher interface {
	Publish(ctx context.Context, m Message) error
	Close(ctx context.Context) error
}

// Message is one MQTT publication.
type Message struct {
	Topic    string
	Payload  []byte
	QoS      byte // 0, 1 or 2; state, summary and health use 1
	Retained bool
	Kind     Kind // what it carries; decides coalescing and eviction
}

// Kind says what a message carries. When an outbox must drop messages it
// drops heartbeats first and state changes last (see Kind.Priority).
type Kind uint8

// Kinds of message.
const (
	KindUnknown   Kind = iota
	KindState          // a sensor's level changed: never coalesced, dropped last
	KindHeartbeat      // an unchanged sensor state or summary, repeated every N seconds: coalesced per topic
	KindSummary        // the robot-level summary changed: never coalesced
	KindHealth         // host model
	KindStatus         // online/offline
	KindReply          // reply to an operator command
)

func (k Kind) String() string {
	switch k {
	case KindState:
		return "state"
	case KindHeartbeat:
		return "heartbeat"
	case KindSummary:
		return "summary"
	case KindHealth:
		return "health"
	case KindStatus:
		return "status"
	case KindReply:
		return "reply"
	}
	return "unknown"
}

// Priority orders kinds for eviction: a full outbox drops the oldest message
// of the lowest priority first. Heartbeats are 0, state changes the highest.
func (k Kind) Priority() int {
	switch k {
	case KindHeartbeat:
		return 0
	case KindHealth:
		return 1
	case KindReply:
		return 2
	case KindSummary:
		return 3
	case KindStatus:
		return 4
	case KindState:
		return 5
	}
	return 0
}

// Coalesces reports whether a newer message of this kind on the same topic
// makes an older queued one worthless (only the latest retained value
// matters): heartbeats, health and status. Changes (states, summaries) are
// numbered and never coalesced: a consumer takes a gap in their numbers for
// a lost change.
func (k Kind) Coalesces() bool {
	return k == KindHeartbeat || k == KindHealth || k == KindStatus
}

// Durable reports whether an outbox must keep a message of this kind across
// an agent restart: state changes and summaries (and unknown kinds, to be
// safe). Heartbeats and health are regenerated after a restart; replies
// answer a command of the past.
func (k Kind) Durable() bool { return k == KindState || k == KindSummary || k == KindUnknown }

// Sequencer numbers changes per sensor (and "summary"). Numbers never repeat
// and never go backwards, across agent restarts and crashes; within one run
// of the agent a key's numbers are contiguous. The agent calls Next once per
// change and puts the result in State.Seq; a heartbeat repeats the Seq of
// the change it repeats. So a consumer takes the state with the larger seq
// as the newer, and a gap within a run means a change was lost (an outbox
// that had to drop a change when full). outbox.Sequencer is the persistent
// one.
type Sequencer interface {
	Next(sensor string) uint64
}

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("transport: publisher closed")
