// Package consumer is the consumer's side of the trust contract
// (docs/mqtt.md, "Consumer contract"), for Go programs that act on a
// robot's trust flags: feed it every message received under the robot's
// prefix, then ask whether a sensor may be trusted now.
//
// A sensor is trusted at time now only when all of these hold:
//
//	its latest state says "trusted": true
//	now is before that state's "expires"
//	the robot's latest <prefix>/status is "online"
//
// The latest state is the one with the largest seq: a state with a smaller
// seq than the one kept is ignored (a late or resent message), and so is a
// change with the same seq (a resend); a heartbeat with the same seq
// refreshes the expiry. The summary follows the same rule. Anything the
// tracker has not seen is not trusted.
//
// State returns what the tracker keeps of a sensor's latest change (level,
// cause, reasons, time, expiry) for views such as transport/fleet.
package consumer
