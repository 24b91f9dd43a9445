package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hostsim"
	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/internal/modelbundle"
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
// moment the host model judges), the model of an installed host bundle,
// which judges instead of one learnt here, and the learner when there is
// one.
func hostOptions(cfg config.Config, l *host.Learner, hm agent.HostModel) agent.HostOptions {
	o := agent.HostOptions{
		Collector: host.New(host.Options{StateDir: cfg.StateDir}),
		Period:    cfg.Host.Period,
		Model:     hm.Model, ID: hm.ID, Version: hm.Version, Source: hm.Source,
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

// relearnHost is the relearn-host command. A host bundle installed here is
// retired first, so the model learnt here judges also after a restart,
// until the next host bundle is pushed.
func (d *daemon) relearnHost(ctx context.Context, _ transport.RelearnHost) (any, error) {
	p, ok := d.current().(*agentPipeline)
	if !ok {
		return nil, errors.New("pipeline not running")
	}
	if d.models.host == nil {
		return nil, errors.New("the host model is not learnt on this robot (host.learn_for is 0)")
	}
	// Without a store (no trusted keys) no host bundle can be running.
	if st, err := d.models.store(ctx, firmware.KindHost); err == nil && st.Active() != nil {
		a := st.Active()
		if err := st.Retire(); err != nil {
			return nil, fmt.Errorf("retire host bundle %s: %w", a.Bundle.ModelID, err)
		}
		d.log.Info().Str("model", a.Bundle.ModelID).Uint64("version", a.Bundle.Version).Msg("host bundle retired: the host model is learnt here again")
	}
	ph, err := p.RelearnHost(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"phase": ph.State, "samples": ph.Have, "target": ph.Want}, nil
}

// hostBundle is the host model installed from a host bundle, if any (Model
// nil otherwise, and then the learner's model or its learning phase runs).
func (ms *modelSet) hostBundle(ctx context.Context) agent.HostModel {
	st, err := ms.store(ctx, firmware.KindHost)
	if err != nil {
		ms.log.Info().Err(err).Msg("no host model store: host bundles cannot be installed (set models.trusted_keys)")
		return agent.HostModel{}
	}
	a := st.Active()
	if a == nil {
		return agent.HostModel{}
	}
	hm, err := hostModelOf(a)
	if err != nil {
		ms.log.Error().Err(err).Msg("installed host bundle unusable")
		return agent.HostModel{}
	}
	return hm
}

// hostModelOf turns an installed host bundle into what the agent runs.
func hostModelOf(a *firmware.Active) (agent.HostModel, error) {
	m, err := modelbundle.HostModelOf(a)
	if err != nil {
		return agent.HostModel{}, err
	}
	return agent.HostModel{Model: m, ID: a.Bundle.ModelID, Version: strconv.FormatUint(a.Bundle.Version, 10), Source: agent.HostBundle}, nil
}
