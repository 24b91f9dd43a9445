package agent

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the agent's Prometheus collectors, labelled by sensor.
type metrics struct {
	frames, drops, scored, scoreErrors, publishErrors *prometheus.CounterVec
	scorerSeconds                                     *prometheus.HistogramVec
	score, threshold, healthScore, level, decimation  *prometheus.GaugeVec
	summaryLevel, hostLevel                           prometheus.Gauge
	frameAge                                          *frameAges
}

// sensorMetrics are one sensor's children, curried once.
type sensorMetrics struct {
	frames, drops, scored, scoreErrors, publishErrors prometheus.Counter
	scorerSeconds                                     prometheus.Observer
	score, threshold, healthScore, level, decimation  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns = "trustagent"
	cv := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help}, []string{"sensor"})
	}
	gv := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: name, Help: help}, []string{"sensor"})
	}
	m := &metrics{
		frames:        cv("frames_total", "Frames received from the source."),
		drops:         cv("queue_drops_total", "Frames dropped because the sensor's queue was full (oldest first)."),
		scored:        cv("frames_scored_total", "Frames scored by the sensor's scorer (fewer than received when decimating)."),
		scoreErrors:   cv("scorer_errors_total", "Frames the scorer failed on."),
		publishErrors: cv("publish_errors_total", "Messages the publisher refused."),
		scorerSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "scorer_seconds", Help: "Time to score one frame.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 15), // 50 µs … 0.8 s
		}, []string{"sensor"}),
		score:        gv("score", "Latest frame score."),
		threshold:    gv("threshold", "Frame score threshold in use."),
		healthScore:  gv("health_score", "Latest health autoencoder score."),
		level:        gv("level", "Trust level: 0 OK, 1 WARN, 2 ERROR, 3 STALE."),
		decimation:   gv("decimation", "Scoring decimation: every n-th frame is scored."),
		summaryLevel: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "summary_level", Help: "Robot-level trust level."}),
		hostLevel:    prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "host_level", Help: "Host model level."}),
		frameAge:     newFrameAges(),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.frames = register(reg, m.frames, &err)
	m.drops = register(reg, m.drops, &err)
	m.scored = register(reg, m.scored, &err)
	m.scoreErrors = register(reg, m.scoreErrors, &err)
	m.publishErrors = register(reg, m.publishErrors, &err)
	m.scorerSeconds = register(reg, m.scorerSeconds, &err)
	m.score = register(reg, m.score, &err)
	m.threshold = register(reg, m.threshold, &err)
	m.healthScore = register(reg, m.healthScore, &err)
	m.level = register(reg, m.level, &err)
	m.decimation = register(reg, m.decimation, &err)
	m.summaryLevel = register(reg, m.summaryLevel, &err)
	m.hostLevel = register(reg, m.hostLevel, &err)
	m.frameAge = register(reg, m.frameAge, &err)
	return m, err
}

// register registers c, or returns the collector a previous agent (before a
// reload) registered under the same name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errp *error) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if old, ok := are.ExistingCollector.(C); ok {
			return old
		}
	}
	if *errp == nil {
		*errp = err
	}
	return c
}

func (m *metrics) forSensor(name string) sensorMetrics {
	return sensorMetrics{
		frames: m.frames.WithLabelValues(name), drops: m.drops.WithLabelValues(name),
		scored: m.scored.WithLabelValues(name), scoreErrors: m.scoreErrors.WithLabelValues(name),
		publishErrors: m.publishErrors.WithLabelValues(name), scorerSeconds: m.scorerSeconds.WithLabelValues(name),
		score: m.score.WithLabelValues(name), threshold: m.threshold.WithLabelValues(name),
		healthScore: m.healthScore.WithLabelValues(name), level: m.level.WithLabelValues(name),
		decimation: m.decimation.WithLabelValues(name),
	}
}
