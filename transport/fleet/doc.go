// Package fleet keeps the trust state of a whole fleet, as read from one
// broker under a fleet prefix (<prefix>/<robot>/<sensor>, .../status), for
// views such as `trustctl watch`: a table of robots × sensors with each
// sensor's level, trust, cause, reasons and the age of its latest state,
// the robot's online/offline status, and counts per level.
//
// Each robot's messages go through a consumer.Tracker, so the seq rule and
// the trust rule of the consumer contract (docs/mqtt.md) are applied once,
// there. On top of it a sensor shows STALE when its latest state has
// expired (the robot went silent) or its robot is offline (last will),
// whatever level it last published.
//
// Memory is bounded: at most MaxRobots robots and MaxSensors sensors per
// robot are kept, messages beyond the caps are counted and dropped, and
// Snapshot says so. Payloads that do not parse, or exceed MaxPayload bytes,
// are counted and ignored. Feed never panics on what arrives.
package fleet
