package reconnect

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Loop opens devices of type D and runs sessions on them until a context
// ends. Build it once, when the source is constructed; Open is required
// and 0 < MinBackoff <= MaxBackoff (Run checks).
type Loop[D any] struct {
	// MinBackoff is the first wait after a failed attempt and the wait
	// after a session that delivered a frame; MaxBackoff caps the doubling.
	MinBackoff, MaxBackoff time.Duration
	// Open returns a fresh device.
	Open func(context.Context) (D, error)
	// OpenFailed prefixes Open errors before they are recorded, as
	// "OpenFailed: err" (e.g. "lidarlite: front: open /dev/i2c-1@0x62");
	// empty records them as they are.
	OpenFailed string
	// Wait waits for d and reports whether it passed before ctx ended
	// (nil: Sleep); a simulated clock goes here.
	Wait func(ctx context.Context, d time.Duration) bool
}

func (l *Loop[D]) validate() error {
	if l.Open == nil {
		return errors.New("reconnect: loop needs Open")
	}
	if l.MinBackoff <= 0 || l.MaxBackoff < l.MinBackoff {
		return fmt.Errorf("reconnect: need 0 < MinBackoff <= MaxBackoff, have %v and %v", l.MinBackoff, l.MaxBackoff)
	}
	return nil
}

// Run runs the loop described in the package documentation with session
// as the work done on each opened device, recording failures and
// reopenings in h. session must close the device before it returns and
// report whether it delivered at least one frame. Run returns nil when
// ctx ends, or an error at once when l or session is unusable.
func (l *Loop[D]) Run(ctx context.Context, h *Health, session func(context.Context, D) bool) error {
	if err := l.validate(); err != nil {
		return err
	}
	if session == nil {
		return errors.New("reconnect: nil session")
	}
	wait := l.Wait
	if wait == nil {
		wait = Sleep
	}
	backoff := l.MinBackoff
	sessions := 0
	for ctx.Err() == nil {
		d, err := l.Open(ctx)
		if err != nil {
			if l.OpenFailed != "" {
				err = fmt.Errorf("%s: %w", l.OpenFailed, err)
			}
			h.Fail(err)
		} else {
			if sessions > 0 {
				h.Update(func(c *Counters) { c.Reconnect++ })
			}
			sessions++
			if session(ctx, d) {
				backoff = l.MinBackoff
			}
		}
		if !wait(ctx, backoff) {
			break
		}
		backoff = min(2*backoff, l.MaxBackoff)
	}
	return nil
}

// Sleep waits for d or until ctx ends; it reports whether the whole wait
// passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
