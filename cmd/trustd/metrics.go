package main

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sensortrust/trustagent/internal/version"
	"github.com/sensortrust/trustagent/transport/mqtt"
)

// registerDaemonMetrics adds what the daemon owns across reloads to reg: the
// build, and the MQTT session's connection and outbox, read from their
// stats at scrape time. The agent registers its own per-sensor metrics.
func registerDaemonMetrics(reg prometheus.Registerer, stack *mqtt.Stack) error {
	const ns = "trustagent"
	build := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "build_info",
		Help:        "Always 1; the labels say which trustd runs.",
		ConstLabels: prometheus.Labels{"version": version.String(), "goversion": runtime.Version()}})
	build.Set(1)
	cs := []prometheus.Collector{
		build,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "mqtt_connected",
			Help: "1 while the MQTT connection to the broker is up, else 0."},
			func() float64 { return b2f(stack.Client.Connected()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: "mqtt_connection_losses_total",
			Help: "MQTT connections lost since start."},
			func() float64 { return float64(stack.Client.Stats().ConnectionLosses) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "outbox_depth",
			Help: "Messages waiting in the outbox for the broker, the one in flight included."},
			func() float64 { return float64(stack.Outbox.Stats().Queued) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: "outbox_dropped_total",
			Help: "Messages evicted from the full outbox since start."},
			func() float64 { return float64(stack.Outbox.Stats().Dropped) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "outbox_disk_ok",
			Help: "1 while the outbox's last disk operation succeeded, else 0 (messages kept in memory only)."},
			func() float64 { return b2f(stack.Outbox.Stats().DiskOK) }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
