// Package agent is the trust agent's pipeline: it reads frames from each
// sensor source, scores them, checks their timing and health, decides each
// sensor's trust level and publishes it, with a robot-level summary.
//
// Stages, each a small contract in its own file:
//
//	sensors.Source → queue → Scorer (scorer.go) → decision → Publisher (publisher.go)
//
// One goroutine per source runs the driver; its emit callback runs the
// deterministic stream checks (package streamcheck) at arrival time and puts
// the frame in a bounded queue that drops the oldest frame, and counts it,
// rather than block the driver. One worker per sensor takes frames from the
// queue, computes the health features and autoencoder verdict (package
// health), scores the frame when the scoring budget allows (decimating
// otherwise, and saying so in the state), and feeds everything to the
// sensor's decision (package decision). A ticker runs the 1 Hz stream
// updates, the STALE timeouts, the heartbeats and the host model (package
// host); the robot-level summary comes from package fusion.
//
// New validates Options; Run starts everything and returns when ctx is
// cancelled, after every goroutine it started has stopped. Status and Lines
// are snapshots for /status and a terminal view, Progress moves while the
// pipeline works (for the systemd watchdog), SetModel swaps a sensor's
// scorer, threshold and health model at run time, Recalibrate recomputes a
// threshold from recent clean scores, and Options.Registerer receives the
// Prometheus collectors.
package agent
