package agent

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// frameAges collects trustagent_last_frame_age_seconds: per sensor, the time
// since its latest frame arrived, computed at scrape time on the agent's
// clock. A sensor that has not delivered a frame yet has no sample. The
// collector outlives a reload: the new agent binds the one the old agent
// registered.
type frameAges struct {
	desc *prometheus.Desc
	mu   sync.Mutex
	a    *Agent
}

func newFrameAges() *frameAges {
	return &frameAges{desc: prometheus.NewDesc("trustagent_last_frame_age_seconds",
		"Seconds since the sensor's latest frame arrived (absent until the first frame).", []string{"sensor"}, nil)}
}

// bind makes the collector report a's sensors.
func (c *frameAges) bind(a *Agent) {
	c.mu.Lock()
	c.a = a
	c.mu.Unlock()
}

func (c *frameAges) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *frameAges) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	a := c.a
	c.mu.Unlock()
	if a == nil {
		return
	}
	now := a.opts.Clock.Now()
	for _, p := range a.pipes {
		p.arriveMu.Lock()
		last := p.lastRecv
		p.arriveMu.Unlock()
		if last.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, max(now.Sub(last).Seconds(), 0), p.name)
	}
}
