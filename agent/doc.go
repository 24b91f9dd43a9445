// Package agent is the trust agent's decision: it judges each sensor's
// frames, decides each sensor's trust level (OK, WARN, ERROR, STALE) and a
// robot-level summary, and reports them.
//
// Stages, each a small contract in its own file:
//
//	sensors.Source → Judge (judge.go) → Reporter (report.go)
//
// A Judge is one sensor's whole decision, synchronous: the deterministic
// stream checks (package streamcheck), the frozen-frame check, the
// learning-free checks of package integrity (a LiDAR's ring geometry and
// surface holes, a camera's torn frames), the frame statistics (computed
// once per frame and handed to both the health autoencoder of package
// health and the frame Scorer, scorer.go), and the persistence rule
// (package decision). trustd and every trustctl command that judges run
// this one type: the Agent wraps one Judge per sensor in
// goroutines, Replay (replay.go) drives one over a recording on the
// recording's own clock, and Calibrate sets its thresholds on clean runs.
//
// The Agent runs one goroutine per source; its emit callback observes the
// frame (stream timing at arrival) and puts it in a bounded queue that drops
// the oldest frame, and counts it, rather than block the driver. One worker
// per sensor judges queued frames, scoring when the budget allows
// (decimating otherwise, and saying so in the state). A ticker ticks the
// judges (1 Hz stream updates, STALE timeouts), sends heartbeats and runs
// the host model (package host); the robot-level summary comes from package
// fusion. Reports are domain values; package transport/wire encodes them
// for MQTT.
//
// Every sensor starts STALE (no frame judged yet) and ends STALE (trustd
// stopping); both are reported as changes, so a consumer never trusts a
// sensor on a state the agent did not judge in this run.
//
// New validates Options; Run starts everything and returns when ctx is
// cancelled, after every goroutine it started has stopped. Status and Lines
// are snapshots for /status and a terminal view, Progress moves while the
// pipeline works (for the systemd watchdog), SetModel swaps a sensor's
// scorer, threshold and health model at run time, Recalibrate recomputes a
// threshold from recent clean scores, and Options.Registerer receives the
// Prometheus collectors.
package agent
