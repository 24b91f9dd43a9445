package main

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hostsim"
	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/transport"
)

// openHostLearner opens the host model's learning state in
// <state_dir>/host; nil when host.learn_for is 0. It outlives reloads (one
// writer of the sample log), so host settings take effect at restart.
func openHostLearner(cfg config.Config) (*host.Learner, error) {
	if cfg.Host.LearnFor == 0 {
		return nil, nil
	}
	return host.OpenLearner(host.LearnOptions{
		Dir:          filepath.Join(cfg.StateDir, "host"),
		Samples:      cfg.Host.HostSamples(),
		Period:       cfg.Host.Period,
		AlarmsPerDay: cfg.Host.AlarmsPerDay,
		ID:           "host-" + cfg.Robot,
	})
}

// hostOptions is the agent's host stage: the /proc and /sys collector (or
// the simulated machine of host.source: sim, its faults planned from the
// moment the host model judges), and the learner when there is one.
func hostOptions(cfg config.Config, l *host.Learner) agent.HostOptions {
	o := agent.HostOptions{
		Collector: host.New(host.Options{StateDir: cfg.StateDir}),
		Period:    cfg.Host.Period,
	}
	if cfg.Host.Source == config.HostSim {
		m := &hostsim.Machine{Seed: 1}
		for _, f := range cfg.Host.Faults {
			k, _ := hostsim.ParseKind(f.Fault) // validated with the configuration
			m.Planned = append(m.Planned, hostsim.Planned{Kind: k, At: f.At, For: f.For})
		}
		o.Collector = m
	}
	if l != nil {
		o.Learner = l
	}
	return o
}

// relearnHost is the relearn-host command.
func (d *daemon) relearnHost(ctx context.Context, _ transport.RelearnHost) (any, error) {
	p, ok := d.current().(*agentPipeline)
	if !ok {
		return nil, errors.New("pipeline not running")
	}
	ph, err := p.RelearnHost(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"phase": ph.State, "samples": ph.Have, "target": ph.Want}, nil
}
