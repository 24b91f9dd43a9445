package agent

import (
	"context"

	"github.com/sensortrust/trustagent/transport"
)

// Publisher is the last stage: it takes one message (a sensor state, the
// summary or the host health, built with transport.Topics) and returns once
// it has taken responsibility for it. It is the Publish half of
// transport.Publisher, which the daemon closes itself; the agent never
// closes it. Publish is called from several goroutines and must be safe for
// concurrent use. Level changes of one sensor are published from one
// goroutine, in order.
type Publisher interface {
	Publish(ctx context.Context, m transport.Message) error
}
