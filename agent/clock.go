package agent

import "time"

// Clock tells the time the agent stamps its decisions and measures the
// scorer with. Tickers (heartbeat, 1 Hz stream updates, stale checks) run on
// real time; tests that need virtual time drive the pipeline through its
// unexported step functions.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
