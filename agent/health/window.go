package health

import (
	"math"
	"slices"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// windowNames are the stream-timing features of a Window, in order.
var windowNames = []string{
	"rate_ratio",    // frames in the window / frames expected at the nominal period
	"gap_mean",      // mean inter-arrival time, in nominal periods
	"gap_std",       // standard deviation of inter-arrival times, in periods
	"gap_max",       // largest inter-arrival time, in periods (includes the gap to now)
	"drop_frac",     // frames missing by sequence number / frames expected
	"latency_p50_s", // median Received − Stamp, seconds
	"latency_p95_s", // 95th percentile of Received − Stamp, seconds
	"out_of_order",  // frames whose stamp went backwards
}

// ArrivalNames returns the window features that depend on when frames
// arrive at the host (Received), as opposed to the sensor's own stamps and
// sequence numbers. A model trained on recordings, which keep one stamp per
// frame, should ignore them (TrainOptions.Ignore); the stream checks judge
// arrival timing with explicit tolerances.
func ArrivalNames() []string {
	return []string{"rate_ratio", "gap_mean", "gap_std", "gap_max", "latency_p50_s", "latency_p95_s"}
}

// WindowNames returns the names of the features Window.Features computes.
func WindowNames() []string { return slices.Clone(windowNames) }

type arrival struct {
	recv    time.Time
	latency time.Duration
	missing uint64 // sequence numbers skipped before this frame
	ooo     bool
}

// Window keeps the arrivals of the last Span of a stream. Not safe for
// concurrent use.
type Window struct {
	period, span time.Duration
	items        []arrival
	first        time.Time // first arrival since the start or Reset
	havePrev     bool
	prevSeq      uint64
	prevStamp    time.Time
	lat          []float64 // scratch
}

// NewWindow returns a window of the given span over a stream of the given
// nominal period (both must be positive).
func NewWindow(period, span time.Duration) *Window {
	return &Window{period: period, span: span}
}

// Add records one frame's header.
func (w *Window) Add(h sensors.Header) {
	a := arrival{recv: h.Received, latency: h.Received.Sub(h.Stamp)}
	if w.havePrev {
		if h.Seq > w.prevSeq+1 {
			a.missing = h.Seq - w.prevSeq - 1
		}
		a.ooo = h.Stamp.Before(w.prevStamp) || h.Seq < w.prevSeq
	}
	if !w.havePrev {
		w.first = h.Received
	}
	w.havePrev, w.prevSeq, w.prevStamp = true, h.Seq, h.Stamp
	w.items = append(w.items, a)
	w.evict(h.Received)
}

// Reset forgets everything (after a stale period).
func (w *Window) Reset() {
	w.items = w.items[:0]
	w.havePrev = false
	w.first = time.Time{}
}

func (w *Window) evict(now time.Time) {
	cut := 0
	for cut < len(w.items) && now.Sub(w.items[cut].recv) > w.span {
		cut++
	}
	if cut > 0 {
		n := copy(w.items, w.items[cut:])
		w.items = w.items[:n]
	}
}

// covered is the part of the span that data could have arrived in: the
// whole span, or less just after the start or a Reset, so that a stream
// that just (re)started does not look slow.
func (w *Window) covered(now time.Time) time.Duration {
	if w.first.IsZero() {
		return w.span
	}
	return min(w.span, now.Sub(w.first)+w.period)
}

// WindowStats summarise the window in natural units.
type WindowStats struct {
	Span       time.Duration
	Frames     int
	Drops      uint64
	RateHz     float64
	LatencyP50 time.Duration
	LatencyP95 time.Duration
	OutOfOrder int
}

// Stats returns the statistics of the window ending at now.
func (w *Window) Stats(now time.Time) WindowStats {
	w.evict(now)
	cov := w.covered(now)
	s := WindowStats{Span: cov, Frames: len(w.items), RateHz: float64(len(w.items)) / cov.Seconds()}
	w.lat = w.lat[:0]
	for _, a := range w.items {
		s.Drops += a.missing
		if a.ooo {
			s.OutOfOrder++
		}
		w.lat = append(w.lat, a.latency.Seconds())
	}
	if len(w.lat) > 0 {
		slices.Sort(w.lat)
		s.LatencyP50 = time.Duration(quantileSorted(w.lat, 0.5) * float64(time.Second))
		s.LatencyP95 = time.Duration(quantileSorted(w.lat, 0.95) * float64(time.Second))
	}
	return s
}

// Features appends nothing and writes the len(WindowNames()) features of the
// window ending at now into dst, which it resizes and returns.
func (w *Window) Features(dst []float64, now time.Time) []float64 {
	dst = resize(dst, len(windowNames))
	s := w.Stats(now)
	p := w.period.Seconds()
	expected := s.Span.Seconds() / p
	dst[0] = float64(s.Frames) / expected
	var sum, sum2, gmax float64
	n := 0
	for i := 1; i < len(w.items); i++ {
		g := w.items[i].recv.Sub(w.items[i-1].recv).Seconds() / p
		sum += g
		sum2 += g * g
		gmax = max(gmax, g)
		n++
	}
	if len(w.items) > 0 {
		gmax = max(gmax, now.Sub(w.items[len(w.items)-1].recv).Seconds()/p)
	} else {
		gmax = w.span.Seconds() / p
	}
	if n > 0 {
		m := sum / float64(n)
		dst[1] = m
		dst[2] = math.Sqrt(max(0, sum2/float64(n)-m*m))
	} else {
		dst[1], dst[2] = gmax, 0
	}
	dst[3] = gmax
	dst[4] = float64(s.Drops) / max(1, float64(s.Frames)+float64(s.Drops))
	dst[5] = s.LatencyP50.Seconds()
	dst[6] = s.LatencyP95.Seconds()
	dst[7] = float64(s.OutOfOrder)
	return dst
}

// quantileSorted returns the q-quantile of sorted values by linear
// interpolation between order statistics.
func quantileSorted(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(v)-1)
	i := int(pos)
	if i >= len(v)-1 {
		return v[len(v)-1]
	}
	f := pos - float64(i)
	return v[i]*(1-f) + v[i+1]*f
}

func resize(dst []float64, n int) []float64 {
	if cap(dst) < n {
		return make([]float64, n)
	}
	return dst[:n]
}
