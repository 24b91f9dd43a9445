// Package streamcheck holds the deterministic timing checks of one sensor
// stream, with the semantics of ROS diagnostic_updater:
//
//   - FrequencyStatus: at each 1 Hz update the event rate over the last
//     WindowSize updates (default 5) is compared with the expected range.
//     No events in the window → ERROR; a rate outside
//     [MinFreq·(1−Tolerance), MaxFreq·(1+Tolerance)] → WARN (Tolerance 0.1).
//   - TimeStampStatus: each frame's delay Received − Stamp must lie in
//     [MinDelay, MaxDelay] (default −1 s … +5 s); a delay outside it or a
//     zero stamp since the last update → ERROR; no frame since the last
//     update → WARN.
//
// On top of these, per frame: stamps or sequence numbers going backwards
// (OUT_OF_ORDER), stamp steps that disagree with the receive clock by more
// than ClockJump (CLOCK_JUMP), sequence gaps (SEQ_GAP, a warning), and STALE
// when no frame has arrived within StaleAfter. STALE means no data, never a
// model verdict.
//
// A Checker never reads a clock: every call takes the time it should use
// (a frame's Received time, or the caller's now), so tests are exact.
package streamcheck
