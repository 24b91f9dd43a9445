package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/internal/dashboard"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/transport/broker"
	"github.com/sensortrust/trustagent/transport/mqtt"
	"github.com/sensortrust/trustagent/transport/wire"
)

// mqttLink is the daemon's MQTT session, kept across reloads: the embedded
// broker when configured, and the stack of outbox, client and command
// dispatcher.
type mqttLink struct {
	broker *broker.Broker // nil unless mqtt.embedded.enabled
	stack  *mqtt.Stack
}

func openMQTT(ctx context.Context, cfg config.Config, log zerolog.Logger) (*mqttLink, error) {
	// The session must outlive the signal that stops trustd: Close ends it
	// after the last flush and the offline message.
	ctx = context.WithoutCancel(ctx)
	l := &mqttLink{}
	if cfg.MQTT.Embedded.Enabled {
		b, err := broker.Start(ctx, cfg.EmbeddedConfig(), broker.Options{})
		if err != nil {
			return nil, fmt.Errorf("embedded broker: %w", err)
		}
		l.broker = b
		log.Info().Str("listen", b.Addr()).Int("users", len(cfg.MQTT.Embedded.Users)).Msg("embedded MQTT broker started")
		if len(cfg.MQTT.Embedded.Users) == 0 {
			log.Warn().Str("listen", b.Addr()).Msg("embedded MQTT broker accepts anonymous clients: any process on this machine can publish trust states; set mqtt.embedded.users")
		}
	}
	mc := cfg.MQTTConfig()
	stack, err := mqtt.OpenStack(ctx, mc, log)
	if err != nil {
		if l.broker != nil {
			l.broker.Close()
		}
		return nil, err
	}
	l.stack = stack
	log.Info().Str("broker", mc.Broker).Str("prefix", cfg.TopicPrefix()).Msg("publishing trust flags")
	return l, nil
}

// Close flushes the outbox until ctx is done (what is left stays on disk
// for the next start), says offline, and stops the embedded broker.
func (l *mqttLink) Close(ctx context.Context) error {
	err := l.stack.Close(ctx)
	if l.broker != nil {
		err = errors.Join(err, l.broker.Close())
	}
	return err
}

// agentPipeline is the running pipeline: the agent and what it was built from.
type agentPipeline struct {
	*agent.Agent
	sensors []config.Sensor
	kinds   map[string]sensors.Kind // sensor name → kind of its source
}

func (p *agentPipeline) Status() any { return p.Agent.Status() }

// buildPipeline turns a configuration into an agent: a source and a model
// per sensor, the host model, and the MQTT stack as publisher (through the
// dashboard's tap, which shows level changes on the page). Nothing is
// started; a failure leaves nothing running.
func buildPipeline(ctx context.Context, cfg config.Config, link *mqttLink, models *modelSet, reg *prometheus.Registry, log zerolog.Logger, dash *dashboard.Hub) (*agentPipeline, error) {
	rep, err := wire.NewReporter(cfg.TopicPrefix(), link.stack.Outbox)
	if err != nil {
		return nil, err
	}
	srcs, err := cfg.Sources(time.Now())
	if err != nil {
		return nil, err
	}
	opts := agent.Options{
		Robot:        cfg.Robot,
		Reporter:     dash.Tap(rep),
		Sequencer:    link.stack.Seq,
		Heartbeat:    cfg.MQTT.Heartbeat,
		QueueLen:     cfg.Agent.QueueLen,
		StaleTimeout: cfg.Agent.StaleTimeout,
		ScoreBudget:  cfg.Agent.ScoreBudget,
		AlarmRate:    cfg.Agent.AlarmRate,
		Registerer:   reg,
		Logger:       &log,
		Host:         hostOptions(cfg, models.host, models.hostBundle(ctx)),
	}
	kinds := map[string]sensors.Kind{}
	for i, s := range cfg.Sensors {
		src := srcs[i]
		kinds[s.Name] = src.Info().Kind
		m, err := models.sensorModel(ctx, cfg, s, src.Info().Kind)
		if err != nil {
			return nil, fmt.Errorf("sensor %s: %w", s.Name, err)
		}
		opts.Sensors = append(opts.Sensors, agent.SensorOptions{
			Source:      src,
			Period:      s.Period,
			Model:       m,
			NoConeCheck: s.ConeCheck != nil && !*s.ConeCheck,
			NoTearCheck: s.TearCheck != nil && !*s.TearCheck,
			NoHoleCheck: s.HoleCheck != nil && !*s.HoleCheck,
			NoRingCheck: s.RingCheck != nil && !*s.RingCheck,
			NoDirtCheck: s.DirtCheck != nil && !*s.DirtCheck,
			NoVeilCheck: s.VeilCheck != nil && !*s.VeilCheck,
		})
		opts.Sensors[len(opts.Sensors)-1].Decision = cfg.Agent.Persistence()
	}
	a, err := agent.New(opts)
	if err != nil {
		return nil, err
	}
	if err := announceHomeAssistant(ctx, cfg, link.stack.Outbox); err != nil {
		return nil, err
	}
	return &agentPipeline{Agent: a, sensors: cfg.Sensors, kinds: kinds}, nil
}
