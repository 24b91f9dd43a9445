package service

import (
	"context"
	"fmt"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier speaks the sd_notify protocol to the service manager named by
// $NOTIFY_SOCKET. Without that variable (not started by systemd, or
// Type=simple) every call is a no-op.
type Notifier struct{}

func (Notifier) send(state string) error {
	_, err := daemon.SdNotify(false, state)
	if err != nil {
		return fmt.Errorf("service: notify %q: %w", state, err)
	}
	return nil
}

// Ready tells the manager start-up is complete (READY=1), with a status line.
func (n Notifier) Ready(status string) error {
	return n.send(daemon.SdNotifyReady + "\nSTATUS=" + status)
}

// Status sets the one-line status systemctl shows.
func (n Notifier) Status(status string) error { return n.send("STATUS=" + status) }

// Reloading tells the manager a configuration reload has begun; Ready ends it.
func (n Notifier) Reloading() error { return n.send(daemon.SdNotifyReloading) }

// Stopping tells the manager shutdown has begun.
func (n Notifier) Stopping() error { return n.send(daemon.SdNotifyStopping) }

// Watchdog pings the watchdog once.
func (n Notifier) Watchdog() error { return n.send(daemon.SdNotifyWatchdog) }

// WatchdogInterval returns how often to ping (half of WatchdogSec) and
// whether the watchdog is enabled for this process.
func WatchdogInterval() (time.Duration, bool) {
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil || d <= 0 {
		return 0, false
	}
	return d / 2, true
}

// RunWatchdog pings the watchdog every interval while progress keeps
// moving: a counter that the pipeline increments each time it handles a
// frame or a heartbeat. If progress stalls, pings stop and systemd restarts
// the service after WatchdogSec. It returns when ctx is done.
func RunWatchdog(ctx context.Context, n Notifier, interval time.Duration, progress func() uint64) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := progress()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := progress()
			if now != last {
				last = now
				_ = n.Watchdog() // a failed ping is the manager's concern; nothing to do here
			}
		}
	}
}
