package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/transport"
)

// Handler runs one command. payload is the raw, untrusted message; result
// is marshalled into the reply's "result" (nil for none). An error becomes
// ok=false with its text.
type Handler func(ctx context.Context, payload []byte) (result any, err error)

// ErrNotEnabled is the reply error for a command that is not enabled or has
// no handler.
var ErrNotEnabled = errors.New("command not enabled")

// Dispatcher routes commands to handlers and publishes replies.
type Dispatcher struct {
	topics  transport.Topics
	robot   string
	pub     transport.Publisher
	enabled []string
	log     zerolog.Logger

	mu       sync.RWMutex
	handlers map[string]Handler
}

// New returns a Dispatcher that accepts the enabled command names and
// publishes replies through pub.
func New(topics transport.Topics, robot string, pub transport.Publisher, enabled []string, log zerolog.Logger) *Dispatcher {
	return &Dispatcher{topics: topics, robot: robot, pub: pub, enabled: slices.Clone(enabled), log: log, handlers: map[string]Handler{}}
}

// Handle registers h for name, replacing an earlier handler.
func (d *Dispatcher) Handle(name string, h Handler) {
	d.mu.Lock()
	d.handlers[name] = h
	d.mu.Unlock()
}

// HandleRecalibrate registers a typed handler for the recalibrate command.
func (d *Dispatcher) HandleRecalibrate(f func(context.Context, transport.Recalibrate) (any, error)) {
	d.Handle(transport.CommandRecalibrate, func(ctx context.Context, p []byte) (any, error) {
		var c transport.Recalibrate
		if err := transport.DecodeStrict(p, &c); err != nil {
			return nil, err
		}
		return f(ctx, c)
	})
}

// HandleLogLevel registers a typed handler for the loglevel command.
func (d *Dispatcher) HandleLogLevel(f func(context.Context, transport.LogLevel) (any, error)) {
	d.Handle(transport.CommandLogLevel, func(ctx context.Context, p []byte) (any, error) {
		var c transport.LogLevel
		if err := transport.DecodeStrict(p, &c); err != nil {
			return nil, err
		}
		return f(ctx, c)
	})
}

// HandleRelearnHost registers a typed handler for the relearn-host command.
func (d *Dispatcher) HandleRelearnHost(f func(context.Context, transport.RelearnHost) (any, error)) {
	d.Handle(transport.CommandRelearnHost, func(ctx context.Context, p []byte) (any, error) {
		var c transport.RelearnHost
		if err := transport.DecodeStrict(p, &c); err != nil {
			return nil, err
		}
		return f(ctx, c)
	})
}

// Dispatch runs the command name with payload and publishes the reply. Its
// signature fits mqtt.Options.OnCommand. It returns the reply for tests and
// logs.
func (d *Dispatcher) Dispatch(ctx context.Context, name string, payload []byte) transport.Reply {
	r := transport.Reply{Robot: d.robot, Command: name, ID: peekID(payload)}
	d.mu.RLock()
	h, ok := d.handlers[name]
	d.mu.RUnlock()
	var result any
	var err error
	switch {
	case !ok || !slices.Contains(d.enabled, name):
		err = fmt.Errorf("%w: %q", ErrNotEnabled, name)
	default:
		result, err = h(ctx, payload)
	}
	if err == nil && result != nil {
		r.Result, err = json.Marshal(result)
	}
	r.OK = err == nil
	if err != nil {
		r.Error = err.Error()
		r.Result = nil
	}
	d.log.Info().Str("command", name).Str("id", r.ID).Bool("ok", r.OK).Str("error", r.Error).Msg("command")
	m, merr := d.topics.ReplyMessage(&r)
	if merr == nil {
		merr = d.pub.Publish(ctx, m)
	}
	if merr != nil {
		d.log.Warn().Err(merr).Str("command", name).Msg("command: reply not published")
	}
	return r
}

// peekID returns the "id" field of a payload for the reply, whatever else
// is wrong with it; "" if there is none or the payload is not an object.
func peekID(p []byte) string {
	if len(p) > transport.MaxCommandBytes {
		return ""
	}
	var v struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(p, &v) != nil {
		return ""
	}
	if s, ok := v.ID.(string); ok && len(s) <= 128 {
		return s
	}
	return ""
}
