package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
)

// modelSet holds one firmware store per sensor kind in the state directory
// (models/<kind>/slot-a.bundle, slot-b.bundle, active), and one for the
// host model pushed as a host bundle (models/host/). A bundle names a
// sensor kind, not a sensor, so every LiDAR of the robot runs the installed
// LiDAR model. The packaged bundle (<models.dir>/<kind>.bundle, or a
// sensor's bundle:) is installed when the store is empty or holds an older
// version, which is how a package upgrade delivers new default models.
type modelSet struct {
	log      zerolog.Logger
	stateDir string
	cfg      config.Models // the stores are made under it (see setPolicy)

	mu     sync.Mutex
	stores map[sensors.Kind]*firmware.Store

	// host learns and keeps the host model (nil when host.learn_for is 0).
	host *host.Learner
}

func newModelSet(log zerolog.Logger, stateDir string, cfg config.Models) *modelSet {
	return &modelSet{log: log, stateDir: stateDir, cfg: cfg, stores: map[sensors.Kind]*firmware.Store{}}
}

// setPolicy applies a reloaded configuration's models section. The stores
// are dropped, so the next pipeline opens them again, reads the trusted
// keys again and verifies the installed bundles under the policy now in
// force: a key removed from models.trusted_keys, or allow_unsigned turned
// off, takes effect at the reload, not at the next restart. It reports
// whether the section changed.
func (ms *modelSet) setPolicy(cfg config.Models) bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	changed := cfg != ms.cfg
	ms.cfg = cfg
	ms.stores = map[sensors.Kind]*firmware.Store{}
	return changed
}

// store returns the started store for kind, creating it on first use.
func (ms *modelSet) store(ctx context.Context, kind sensors.Kind) (*firmware.Store, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if st, ok := ms.stores[kind]; ok {
		return st, nil
	}
	opts, err := ms.optionsLocked(kind)
	if err != nil {
		return nil, err
	}
	fsys, err := firmware.OpenDirFS(filepath.Join(ms.stateDir, "models", firmware.KindName(kind)))
	if err != nil {
		return nil, err
	}
	st, err := firmware.NewStore(fsys, opts)
	if err != nil {
		return nil, err
	}
	if _, err := st.Start(ctx); err != nil && !errors.Is(err, firmware.ErrNoModel) {
		ms.log.Error().Err(err).Str("kind", firmware.KindName(kind)).Msg("installed models unusable")
	}
	if a := st.Active(); a != nil && a.Rollback != nil {
		ms.log.Warn().Err(a.Rollback).Str("kind", firmware.KindName(kind)).Str("slot", string(a.Slot)).Msg("model rolled back")
	}
	ms.stores[kind] = st
	return st, nil
}

// optionsLocked is the policy of kind's store under the configuration in
// force: the trusted keys are read again.
func (ms *modelSet) optionsLocked(kind sensors.Kind) (firmware.Options, error) {
	opts := firmware.Options{Kind: kind, Loader: modelbundle.Loader()}
	if kind == firmware.KindHost {
		opts.Loader = modelbundle.HostLoader()
	}
	if ms.cfg.AllowUnsigned {
		opts.Signatures = firmware.AllowUnsigned
	}
	if ms.cfg.TrustedKeys != "" {
		ts, err := firmware.LoadTrustStore(ms.cfg.TrustedKeys)
		switch {
		case err == nil:
			opts.Trust = ts
		case errors.Is(err, os.ErrNotExist) && (ms.cfg.AllowUnsigned || ms.cfg.TrustPackaged):
		default:
			return firmware.Options{}, err
		}
	}
	return opts, nil
}

// packagedOptions is the policy for kind's unsigned packaged bundle, ok
// when models.trust_packaged is on.
func (ms *modelSet) packagedOptions(kind sensors.Kind) (opts firmware.Options, ok bool, err error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if !ms.cfg.TrustPackaged {
		return firmware.Options{}, false, nil
	}
	opts, err = ms.optionsLocked(kind)
	return opts, err == nil, err
}

// sensorModel returns the model a sensor runs. A sensor kind without a
// model (range finders, or a robot not yet given one) is judged by its
// stream checks alone, and says so in the log.
func (ms *modelSet) sensorModel(ctx context.Context, cfg config.Config, s config.Sensor, kind sensors.Kind) (agent.SensorModel, error) {
	if kind != sensors.KindLidar && kind != sensors.KindCamera {
		return agent.SensorModel{}, nil
	}
	st, err := ms.store(ctx, kind)
	if err != nil {
		// A robot without a usable model store still runs a packaged model
		// it trusts, or else its stream checks.
		ms.log.Error().Err(err).Str("sensor", s.Name).
			Msg("no model store: no bundle can be installed for this sensor (set models.trusted_keys, or models.allow_unsigned on a bench)")
		st = nil
	}
	packaged := s.Bundle
	if packaged == "" {
		packaged = filepath.Join(cfg.Models.Dir, kind.String()+".bundle")
	}
	a := ms.installPackaged(ctx, st, kind, packaged)
	if a == nil {
		ms.log.Error().Str("sensor", s.Name).Str("looked_for", packaged).
			Msg("no model for this sensor: only stream checks will judge it (install one with trustctl bundle push)")
		return agent.SensorModel{}, nil
	}
	return sensorModelOf(a)
}

// installPackaged brings the packaged bundle at path into use when it is
// newer than the active one of the store (nil when there is none), and
// returns the model to run. A
// signed bundle is installed into the store. An unsigned one, with
// models.trust_packaged and a file only the package manager can have
// written, runs from where the package put it and is never copied into the
// store (where OTA bundles land, which need a signature). A missing file is
// not an error; a refused bundle is logged and the installed model keeps
// running.
func (ms *modelSet) installPackaged(ctx context.Context, st *firmware.Store, kind sensors.Kind, path string) *firmware.Active {
	var active *firmware.Active
	if st != nil {
		active = st.Active()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			ms.log.Error().Err(err).Msg("packaged model")
		}
		return active
	}
	b, err := firmware.Parse(data)
	if err != nil {
		ms.log.Error().Err(err).Str("file", path).Msg("packaged model refused")
		return active
	}
	if active != nil && active.Bundle.Version >= b.Version {
		return active
	}
	if opts, ok, _ := ms.packagedOptions(kind); ok && len(b.Signatures) == 0 {
		if err := firmware.CheckPackageFile(path); err != nil {
			ms.log.Error().Err(err).Str("file", path).Msg("unsigned packaged model refused: models.trust_packaged trusts only files the package manager installed")
			return active
		}
		a, err := firmware.OpenPackaged(ctx, data, opts)
		if err != nil {
			ms.log.Error().Err(err).Str("file", path).Msg("packaged model refused; keeping the installed one")
			return active
		}
		ms.log.Info().Str("file", path).Str("model", a.Bundle.ModelID).Uint64("version", a.Bundle.Version).
			Msg("running the packaged model, trusted as a package file")
		return a
	}
	if st == nil {
		return active
	}
	a, err := st.Install(ctx, data)
	if err != nil {
		ms.log.Error().Err(err).Str("file", path).Msg("packaged model refused; keeping the installed one")
		return active
	}
	ms.log.Info().Str("file", path).Str("model", a.Bundle.ModelID).Uint64("version", a.Bundle.Version).Str("slot", string(a.Slot)).Msg("model installed")
	return a
}

// sensorModelOf turns an installed bundle into what the agent runs.
func sensorModelOf(a *firmware.Active) (agent.SensorModel, error) {
	vae, ok := a.Models[firmware.SectionVAE].(*likelihood.Model)
	if !ok {
		return agent.SensorModel{}, fmt.Errorf("model %s has no VAE section", a.Bundle.ModelID)
	}
	c, _, err := a.Bundle.Calibration()
	if err != nil {
		return agent.SensorModel{}, fmt.Errorf("model %s: %w", a.Bundle.ModelID, err)
	}
	m := agent.SensorModel{
		Scorer:        vae.NewFixedScorer(),
		Threshold:     vae.Threshold(),
		WarnThreshold: modelbundle.ScoreWarn(c),
		RiseLevel:     modelbundle.ScoreRise(c),
		RiseFrames:    modelbundle.RiseFrames(c),
		ID:            a.Bundle.ModelID,
		Version:       strconv.FormatUint(a.Bundle.Version, 10),
		Coverage:      modelbundle.CoverageOf(c).Flags(),
	}
	if p, ok := a.Models[firmware.SectionHealth]; ok {
		m.Health, _ = modelbundle.HealthModel(p)
	}
	return m, nil
}
