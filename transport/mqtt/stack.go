package mqtt

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/command"
	"github.com/sensortrust/trustagent/transport/outbox"
)

// Stack is what the daemon wires up: the outbox in the state directory in
// front of the client, the sequencer whose boot epoch lives beside it, and
// the command dispatcher whose replies go through the outbox. Hand Outbox to
// the agent as its transport.Publisher and Seq as its transport.Sequencer;
// register command handlers on Commands.
type Stack struct {
	Client   *Client
	Outbox   *outbox.Outbox
	Seq      *outbox.Sequencer
	Commands *command.Dispatcher
	Topics   transport.Topics
}

// OpenStack builds the stack from cfg (cfg.OutboxDir is required) and
// starts connecting in the background; it does not wait for the broker.
// It first stores the run's boot epoch (outbox.OpenSequencer) and fails,
// wrapping outbox.ErrEpoch, when it cannot: nothing is connected then.
func OpenStack(ctx context.Context, cfg Config, log zerolog.Logger) (*Stack, error) {
	cfg = cfg.WithDefaults()
	if cfg.OutboxDir == "" {
		return nil, errors.New("mqtt: outbox_dir is required (the daemon puts it in its state directory)")
	}
	seq, err := outbox.OpenSequencer(outbox.DirFS(cfg.OutboxDir))
	if err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	s := &Stack{Seq: seq}
	var onCmd CommandFunc
	if len(cfg.Commands) > 0 {
		onCmd = func(ctx context.Context, name string, p []byte) { s.Commands.Dispatch(ctx, name, p) }
	}
	c, err := New(cfg, Options{Log: log, OnCommand: onCmd})
	if err != nil {
		return nil, err
	}
	opt := outbox.DefaultOptions()
	opt.MaxMessages, opt.MaxBytes, opt.Log = cfg.OutboxMaxMessages, cfg.OutboxMaxBytes, log
	ob, err := outbox.Open(outbox.DirFS(cfg.OutboxDir), c, opt)
	if err != nil {
		_ = c.Close(ctx)
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	s.Client, s.Outbox, s.Topics = c, ob, c.Topics()
	s.Commands = command.New(s.Topics, cfg.Robot, ob, cfg.Commands, log)
	c.Start(ctx)
	return s, nil
}

// Close drains the outbox until ctx is done (what is left stays on disk),
// then publishes "offline" and disconnects.
func (s *Stack) Close(ctx context.Context) error {
	err := s.Outbox.Close(ctx)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Client.cfg.WriteTimeout)
	defer cancel()
	return errors.Join(err, s.Client.Close(cctx))
}
