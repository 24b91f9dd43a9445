// Package reconnect is the reopen-with-backoff loop shared by the device
// drivers' sensors.Source adapters, and the counters it keeps.
//
// A driver's Run is, in effect:
//
//	backoff := MinBackoff
//	for ctx is not done {
//		d, err := Open(ctx)
//		if err != nil {
//			health.Fail(OpenFailed: err)       // BusErrors++, LastError
//		} else {
//			if d is not the first device opened {
//				Reconnect++
//			}
//			if session(ctx, d) {               // delivered a frame
//				backoff = MinBackoff
//			}
//		}
//		wait backoff, or return when ctx ends
//		backoff = min(2*backoff, MaxBackoff)
//	}
//
// so the waits after attempts that delivered nothing (a failed open, a
// session without frames) are MinBackoff, 2·MinBackoff, 4·MinBackoff …
// capped at MaxBackoff, and a session that delivered at least one frame
// starts the sequence again from MinBackoff. session owns the device: it
// must close it before returning.
//
// Health holds a source's sensors.Counters, its last error and its frame
// sequence number behind one mutex, so that Counters and LastError may be
// read from any goroutine while Run updates them.
package reconnect
