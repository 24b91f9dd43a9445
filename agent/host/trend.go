package host

import (
	"math"
	"time"
)

// TrendSpan is the stretch of samples the rates of change are fitted
// over: a few samples, so one noisy reading does not make a trend, and
// short, so a fault's onset shows within seconds. A level feature (the
// free space, the temperature) moves by its whole daily range before a
// fault that changes it stands out; its rate stands out at once. The
// clock step is taken over the same stretch, so one step of the wall
// clock shows in TrendSpan of samples.
const TrendSpan = 5 * time.Second

// MemTrendSpan is the stretch the available memory's rate
// (Sample.MemAvailRate) is fitted over. Available memory wanders by
// several MB a second with every process's allocations and caches, a
// random walk whose fitted slope becomes steadier only as the square root
// of the span; over 20 s it is steady enough for memory taken at 10 MB/s
// to stand out, at the cost of showing the fault's full rate only once
// the span has passed.
const MemTrendSpan = 20 * time.Second

// Trend fills a sample's rates of change (Sample.CPUTempRate, RSSRate,
// StateFreeRate) by a least-squares line through the samples of the last
// TrendSpan, MemAvailRate likewise over the last MemTrendSpan, and its
// ClockStep from the clock readings of the samples of the last TrendSpan.
// Samplers keep one and call Fill on every sample they return, in time
// order. The zero value is ready; not safe for concurrent use.
type Trend struct {
	pts []trendPoint
	// fast and slow are exponential means of the temperature over
	// TempFastSpan and TempBaseSpan; at is the time of the latest.
	fast, slow float64
	at         time.Time
}

// TempFastSpan and TempBaseSpan are the time constants of the
// temperature's deviation (Sample.CPUTempDev): the last ten seconds,
// which average the sensor's noise down by a factor of four, against the
// last ten minutes, which follow the day's swing but not a fault of
// minutes.
const (
	TempFastSpan = 10 * time.Second
	TempBaseSpan = 10 * time.Minute
)

type trendPoint struct {
	t                      time.Time
	temp, rss, free, avail float64
	wall                   time.Time
	mono                   time.Duration
}

// Fill sets s's rates from s and the samples before it within their
// spans (NaN when fewer than two of them know the quantity, or the clock
// went backwards, which starts the fit over).
func (tr *Trend) Fill(s *Sample) {
	if n := len(tr.pts); n > 0 && !s.Time.After(tr.pts[n-1].t) {
		tr.pts = tr.pts[:0]
		tr.at = time.Time{}
	}
	s.CPUTempDev = tr.tempDev(s.Time, s.CPUTempC)
	i := 0
	for i < len(tr.pts) && s.Time.Sub(tr.pts[i].t) > max(TrendSpan, MemTrendSpan) {
		i++
	}
	tr.pts = append(tr.pts[:0], tr.pts[i:]...)
	rss, avail := math.NaN(), math.NaN()
	if s.RSSBytes > 0 {
		rss = float64(s.RSSBytes) / (1 << 20)
	}
	if s.MemAvailBytes > 0 {
		avail = float64(s.MemAvailBytes) / (1 << 20)
	}
	tr.pts = append(tr.pts, trendPoint{t: s.Time, temp: s.CPUTempC, rss: rss, free: s.StateFreeFrac, avail: avail,
		wall: s.Wall, mono: s.Mono})
	s.CPUTempRate = tr.slope(TrendSpan, func(p trendPoint) float64 { return p.temp })
	s.RSSRate = tr.slope(TrendSpan, func(p trendPoint) float64 { return p.rss })
	s.StateFreeRate = tr.slope(TrendSpan, func(p trendPoint) float64 { return p.free })
	s.MemAvailRate = tr.slope(MemTrendSpan, func(p trendPoint) float64 { return p.avail })
	s.ClockStep = tr.clockStep()
}

// tempDev updates the temperature's exponential means with temp at t and
// returns their difference (NaN while the temperature is unknown).
func (tr *Trend) tempDev(t time.Time, temp float64) float64 {
	if math.IsNaN(temp) {
		return math.NaN()
	}
	if tr.at.IsZero() || math.IsNaN(tr.fast) {
		tr.fast, tr.slow, tr.at = temp, temp, t
		return 0
	}
	dt := t.Sub(tr.at).Seconds()
	tr.at = t
	tr.fast += (temp - tr.fast) * (1 - math.Exp(-dt/TempFastSpan.Seconds()))
	tr.slow += (temp - tr.slow) * (1 - math.Exp(-dt/TempBaseSpan.Seconds()))
	return tr.fast - tr.slow
}

// span returns the kept points within d of the newest.
func (tr *Trend) span(d time.Duration) []trendPoint {
	last := tr.pts[len(tr.pts)-1].t
	i := 0
	for i < len(tr.pts) && last.Sub(tr.pts[i].t) > d {
		i++
	}
	return tr.pts[i:]
}

// slope is the least-squares slope per second of v over the kept points
// within d of the newest, skipping NaN values.
func (tr *Trend) slope(d time.Duration, v func(trendPoint) float64) float64 {
	last := tr.pts[len(tr.pts)-1].t
	var n, st, sv, stt, stv float64
	for _, p := range tr.span(d) {
		y := v(p)
		if math.IsNaN(y) {
			continue
		}
		x := p.t.Sub(last).Seconds()
		n++
		st += x
		sv += y
		stt += x * x
		stv += x * y
	}
	den := n*stt - st*st
	if n < 2 || den <= 0 {
		return math.NaN()
	}
	return (n*stv - st*sv) / den
}

// clockStep is how much further the wall clock went than the monotonic
// clock from the oldest point within TrendSpan with both readings to the
// newest, in seconds: zero give or take the reading jitter and the NTP
// slew (at most 0.5 ms a second), the size of the step when the wall clock
// was set.
func (tr *Trend) clockStep() float64 {
	pts := tr.span(TrendSpan)
	last := pts[len(pts)-1]
	if last.wall.IsZero() || last.mono == 0 {
		return math.NaN()
	}
	for _, p := range pts[:len(pts)-1] {
		if p.wall.IsZero() || p.mono == 0 {
			continue
		}
		// Round(0) drops a monotonic reading a caller's wall time may carry,
		// so Sub compares the wall clocks.
		return last.wall.Round(0).Sub(p.wall.Round(0)).Seconds() - (last.mono - p.mono).Seconds()
	}
	return math.NaN()
}
