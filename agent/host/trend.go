package host

import (
	"math"
	"time"
)

// TrendSpan is the stretch of samples the rates of change are fitted
// over: a few samples, so one noisy reading does not make a trend, and
// short, so a fault's onset shows within seconds. A level feature (the
// free space, the temperature) moves by its whole daily range before a
// fault that changes it stands out; its rate stands out at once.
const TrendSpan = 5 * time.Second

// Trend fills a sample's rates of change (Sample.CPUTempRate, RSSRate,
// StateFreeRate) by a least-squares line through the samples of the last
// TrendSpan. Samplers keep one and call Fill on every sample they return,
// in time order. The zero value is ready; not safe for concurrent use.
type Trend struct {
	pts []trendPoint
}

type trendPoint struct {
	t               time.Time
	temp, rss, free float64
}

// Fill sets s's rates from s and the samples before it within TrendSpan
// (NaN when fewer than two of them know the quantity, or the clock went
// backwards, which starts the fit over).
func (tr *Trend) Fill(s *Sample) {
	if n := len(tr.pts); n > 0 && !s.Time.After(tr.pts[n-1].t) {
		tr.pts = tr.pts[:0]
	}
	i := 0
	for i < len(tr.pts) && s.Time.Sub(tr.pts[i].t) > TrendSpan {
		i++
	}
	tr.pts = append(tr.pts[:0], tr.pts[i:]...)
	rss := math.NaN()
	if s.RSSBytes > 0 {
		rss = float64(s.RSSBytes) / (1 << 20)
	}
	tr.pts = append(tr.pts, trendPoint{t: s.Time, temp: s.CPUTempC, rss: rss, free: s.StateFreeFrac})
	s.CPUTempRate = tr.slope(func(p trendPoint) float64 { return p.temp })
	s.RSSRate = tr.slope(func(p trendPoint) float64 { return p.rss })
	s.StateFreeRate = tr.slope(func(p trendPoint) float64 { return p.free })
}

// slope is the least-squares slope per second of v over the kept points,
// skipping NaN values.
func (tr *Trend) slope(v func(trendPoint) float64) float64 {
	last := tr.pts[len(tr.pts)-1].t
	var n, st, sv, stt, stv float64
	for _, p := range tr.pts {
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
