package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/ota"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/transport"
)

// handleCommands registers the operator commands on the MQTT stack. Each
// acts on the pipeline running when it arrives, so commands keep working
// across reloads. Commands are only subscribed when mqtt.commands lists
// them.
func (d *daemon) handleCommands() error {
	cmds := d.link.stack.Commands
	cmds.HandleRecalibrate(func(_ context.Context, c transport.Recalibrate) (any, error) {
		p, ok := d.current().(*agentPipeline)
		if !ok {
			return nil, errors.New("pipeline not running")
		}
		rc, err := p.Recalibrate(c.Sensor, time.Duration(c.Minutes)*time.Minute)
		if err != nil {
			return nil, err
		}
		d.log.Info().Str("sensor", rc.Sensor).Float64("old", rc.OldThreshold).Float64("new", rc.NewThreshold).Int("samples", rc.Samples).Msg("threshold recalibrated")
		return rc, nil
	})
	cmds.HandleLogLevel(func(_ context.Context, c transport.LogLevel) (any, error) {
		lvl, err := zerolog.ParseLevel(c.Level)
		if err != nil {
			return nil, err
		}
		zerolog.SetGlobalLevel(lvl)
		d.log.WithLevel(lvl).Str("new_level", c.Level).Msg("log level set")
		return map[string]string{"level": c.Level}, nil
	})
	cmds.HandleRelearnHost(d.relearnHost)
	if !slices.Contains(d.cfg.MQTT.Commands, transport.CommandModel) {
		return nil
	}
	recv, err := ota.NewReceiver(&kindRouter{d: d}, statusPublisher{d.link.stack.Outbox}, ota.ReceiverOptions{
		Prefix:      d.cfg.TopicPrefix(),
		Dir:         filepath.Join(d.cfg.StateDir, "ota"),
		OnInstalled: d.modelInstalled,
	})
	if err != nil {
		return err
	}
	cmds.Handle(transport.CommandModel, func(ctx context.Context, payload []byte) (any, error) {
		return nil, recv.Handle(ctx, payload)
	})
	return nil
}

// modelInstalled swaps the new model into every sensor of its kind, or
// into the host stage for a host bundle.
func (d *daemon) modelInstalled(ctx context.Context, a *firmware.Active) {
	p, ok := d.current().(*agentPipeline)
	if !ok {
		return
	}
	if a.Bundle.Kind == firmware.KindHost {
		hm, err := hostModelOf(a)
		if err == nil {
			err = p.SetHostModel(ctx, hm)
		}
		if err != nil {
			d.log.Error().Err(err).Str("model", a.Bundle.ModelID).Msg("installed host model unusable")
		}
		return
	}
	m, err := sensorModelOf(a)
	if err != nil {
		d.log.Error().Err(err).Msg("installed model unusable")
		return
	}
	for _, s := range p.sensors {
		if src, ok := p.kinds[s.Name]; ok && src == a.Bundle.Kind {
			if err := p.SetModel(s.Name, m); err != nil {
				d.log.Error().Err(err).Str("sensor", s.Name).Msg("model swap")
			}
		}
	}
}

// kindRouter installs an over-the-air bundle into the store of its sensor
// kind, or of the host model for a host bundle.
type kindRouter struct {
	d    *daemon
	last *firmware.Active
}

func (r *kindRouter) Install(ctx context.Context, data []byte) (*firmware.Active, error) {
	a, err := r.install(ctx, data)
	if err != nil {
		r.d.log.Error().Err(err).Str("code", firmware.Code(err)).
			Msg("model bundle refused over the air; the running models keep judging")
		return nil, err
	}
	r.last = a
	r.d.log.Info().Str("kind", firmware.KindName(a.Bundle.Kind)).Str("model", a.Bundle.ModelID).
		Uint64("version", a.Bundle.Version).Str("slot", string(a.Slot)).Msg("model bundle installed over the air")
	return a, nil
}

func (r *kindRouter) install(ctx context.Context, data []byte) (*firmware.Active, error) {
	b, err := firmware.Parse(data)
	if err != nil {
		return nil, err
	}
	// A bundle goes only to a kind some configured sensor has, or to the
	// host stage every robot has: anything else would make a store nobody
	// reads and report it as active.
	p, ok := r.d.current().(*agentPipeline)
	if !ok || (b.Kind != firmware.KindHost && !slices.Contains(slices.Collect(maps.Values(p.kinds)), b.Kind)) {
		return nil, &firmware.SensorError{Want: sensors.KindUnknown, Got: b.Kind}
	}
	st, err := r.d.models.store(ctx, b.Kind)
	if err != nil {
		return nil, fmt.Errorf("no model store for %s: %w", firmware.KindName(b.Kind), err)
	}
	return st.Install(ctx, data)
}

func (r *kindRouter) Active() *firmware.Active { return r.last }

// statusPublisher sends the OTA receiver's status through the outbox.
type statusPublisher struct{ p transport.Publisher }

func (s statusPublisher) Publish(ctx context.Context, topic string, payload []byte, retained bool) error {
	return s.p.Publish(ctx, transport.Message{Topic: topic, Payload: payload, QoS: 1, Retained: retained, Kind: transport.KindReply})
}
