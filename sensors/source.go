package sensors

import (
	"context"
	"errors"
	"time"
)

// Source produces frames from one sensor.
//
// Run delivers frames to emit, in order, until ctx is cancelled (it then
// returns ctx.Err() or nil) or the source fails for good (it returns the
// error). emit is called from Run's goroutine and must not block for long:
// the agent puts frames in a bounded queue that drops the oldest. Frames
// passed to emit belong to the receiver; a source never reuses them.
// A source that loses its device (cable unplugged, socket closed) retries
// by itself when it can and reports each failure through Counters; it
// returns only when retrying cannot help. Cancelling ctx and waiting for Run
// to return is how a source is halted.
type Source interface {
	Info() Info
	Run(ctx context.Context, emit func(Frame)) error
}

// Info describes a source.
type Info struct {
	Name    string        // configured sensor name
	Kind    Kind          // what it delivers
	Model   string        // device model, e.g. "VLP-16"
	Period  time.Duration // nominal time between frames; 0 if unknown
	Address string        // where it is read from: UDP address, device path, bus address, directory
}

// Counters are a source's own error and traffic counts since it started.
type Counters struct {
	Frames    uint64 `json:"frames"`     // frames delivered
	Bytes     uint64 `json:"bytes"`      // payload bytes read
	Malformed uint64 `json:"malformed"`  // packets or records rejected by the decoder (bad length, flag, checksum)
	Resyncs   uint64 `json:"resyncs"`    // times the decoder hunted for the next frame start
	Drops     uint64 `json:"drops"`      // frames or packets known to be lost (sequence gaps, overflow)
	BusErrors uint64 `json:"bus_errors"` // I²C NACKs, SPI/serial I/O errors, device read failures
	Reconnect uint64 `json:"reconnects"` // times the device was reopened
}

// Counted is implemented by sources that count their errors (all drivers in
// this module do).
type Counted interface {
	Counters() Counters
}

// Failing is implemented by sources that remember their latest failure: a
// device that does not open, a read error, a rejected packet. LastError is
// nil when there was none; it is not cleared when frames flow again.
type Failing interface {
	LastError() error
}

// Unavailable is implemented by sources that can be built before their data
// exists (a recording folder on a drive not mounted yet). Unavailable says
// why the source could not reach its data when it was built, nil if it
// could. Such a source's Run fails the same way until the data comes, so
// the agent keeps retrying and shows the sensor STALE with the reason; its
// Info().Kind may be KindUnknown until then.
type Unavailable interface {
	Unavailable() error
}

// ErrNoData is returned (wrapped) when a source has nothing to deliver, as
// opposed to having failed: an empty directory, a recording that ended.
var ErrNoData = errors.New("sensors: no data")
