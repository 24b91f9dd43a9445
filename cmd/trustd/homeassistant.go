package main

import (
	"context"
	"fmt"

	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/internal/version"
	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/homeassistant"
)

// announceHomeAssistant publishes the Home Assistant discovery messages of
// cfg's sensors when mqtt.homeassistant.enabled is set; at start and after
// every reload, so that added sensors appear.
func announceHomeAssistant(ctx context.Context, cfg config.Config, pub interface {
	Publish(context.Context, transport.Message) error
}) error {
	if !cfg.MQTT.HomeAssistant.Enabled {
		return nil
	}
	o := homeassistant.Options{
		Prefix: cfg.MQTT.HomeAssistant.Prefix, Robot: cfg.Robot, Topics: transport.Topics{Prefix: cfg.TopicPrefix()},
		Version: version.String(), Heartbeat: cfg.MQTT.Heartbeat,
	}
	for _, s := range cfg.Sensors {
		o.Sensors = append(o.Sensors, s.Name)
	}
	ms, err := homeassistant.Messages(o)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := pub.Publish(ctx, m); err != nil {
			return fmt.Errorf("homeassistant: %s: %w", m.Topic, err)
		}
	}
	return nil
}
