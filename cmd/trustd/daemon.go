package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"reflect"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/internal/dashboard"
	"github.com/sensortrust/trustagent/internal/service"
	"github.com/sensortrust/trustagent/transport"
)

// stopBudget bounds shutdown: SIGTERM to exit within 5 s, of which the
// pipeline gets this much to drain and the publisher the rest to flush.
const (
	drainBudget = 2500 * time.Millisecond
	flushBudget = 2000 * time.Millisecond
)

// pipeline is what the daemon runs and reloads: sources → scorers →
// decisions → publisher, built from one configuration.
type pipeline interface {
	// Run blocks until ctx is cancelled (returns nil) or the pipeline
	// fails for good.
	Run(ctx context.Context) error
	// Status is a JSON-ready snapshot for /status and the live view.
	Status() any
	// Lines is the live view: one line per sensor.
	Lines() []string
	// Progress counts frames and heartbeats handled; the watchdog is
	// pinged only while it moves.
	Progress() uint64
}

// daemon holds what lives across reloads: the logger, the MQTT session
// (embedded broker and publisher) and the metrics registry.
type daemon struct {
	cfg    config.Config
	flags  flags
	log    zerolog.Logger
	notify service.Notifier
	stdout io.Writer
	getenv func(string) string
	reg    *prometheus.Registry
	link   *mqttLink
	models *modelSet
	dash   *dashboard.Hub // the page at / of the status server

	cur chan pipeline // holds the running pipeline (capacity 1), for HTTP handlers
}

func newDaemon(cfg config.Config, f flags, stdout, stderr io.Writer, getenv func(string) string) (*daemon, error) {
	log, err := service.NewLogger(stderr, cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	// The level can change at run time (SIGHUP, the loglevel command):
	// the logger passes everything and zerolog's global level filters.
	zerolog.SetGlobalLevel(log.GetLevel())
	log = log.Level(zerolog.TraceLevel)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d := &daemon{
		cfg: cfg, flags: f, log: log, stdout: stdout, getenv: getenv,
		reg: reg, cur: make(chan pipeline, 1),
	}
	if d.dash, err = dashboard.New(dashboard.Options{Status: d.agentStatus}); err != nil {
		return nil, err
	}
	return d, nil
}

// agentStatus is the running agent's snapshot, for the dashboard.
func (d *daemon) agentStatus() (agent.Status, bool) {
	p, ok := d.current().(*agentPipeline)
	if !ok {
		return agent.Status{}, false
	}
	return p.Agent.Status(), true
}

func (d *daemon) run(ctx context.Context, hup <-chan os.Signal) error {
	d.log.Info().Str("robot", d.cfg.Robot).Int("sensors", len(d.cfg.Sensors)).Msg("trustd starting")
	if err := os.MkdirAll(d.cfg.StateDir, 0o750); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	link, err := openMQTT(ctx, d.cfg, d.log)
	if err != nil {
		return err
	}
	d.link = link
	if err := registerDaemonMetrics(d.reg, link.stack); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if d.cfg.Models.AllowUnsigned {
		ev := d.log.Warn().Bool("allow_unsigned", true)
		if slices.Contains(d.cfg.MQTT.Commands, transport.CommandModel) {
			ev = ev.Str("commands", "model")
		}
		ev.Msg("unsigned model bundles are accepted (a bench setting): anyone who can write a bundle here, or publish one when the model command is on, decides what judges the sensors")
	}
	d.models = newModelSet(d.log, d.cfg.StateDir, d.cfg.Models)
	if d.models.host, err = openHostLearner(d.cfg); err != nil {
		return err
	}
	if d.models.host != nil {
		defer d.models.host.Close()
	}
	if err := d.handleCommands(); err != nil {
		return err
	}
	defer func() {
		fctx, cancel := context.WithTimeout(context.Background(), flushBudget)
		defer cancel()
		if err := link.Close(fctx); err != nil {
			d.log.Warn().Err(err).Msg("mqtt close")
		}
	}()

	var p pipeline
	p, err = buildPipeline(ctx, d.cfg, d.link, d.models, d.reg, d.log, d.dash)
	if err != nil {
		return err
	}
	stopHTTP := d.serveHTTP()
	defer stopHTTP()
	// The dashboard's streams end before the status server shuts down
	// (deferred calls run last first).
	dctx, stopDash := context.WithCancel(ctx)
	dashDone := make(chan struct{})
	go func() { defer close(dashDone); d.dash.Run(dctx) }()
	defer func() { stopDash(); <-dashDone }()

	for {
		pctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() { errc <- p.Run(pctx) }()
		d.setCurrent(p)
		d.notify.Ready(fmt.Sprintf("scoring %d sensors", len(d.cfg.Sensors)))
		wdctx, wdcancel := context.WithCancel(pctx)
		if iv, ok := service.WatchdogInterval(); ok {
			go service.RunWatchdog(wdctx, d.notify, iv, p.Progress)
		}
		if d.flags.live {
			go d.liveView(wdctx, p)
		}

		next, err := d.wait(ctx, hup, errc)
		wdcancel()
		if next == nil {
			d.notify.Stopping()
			cancel()
			d.drain(errc)
			d.log.Info().Msg("pipeline stopped; flushing the outbox")
			return err
		}
		// Reload: the new pipeline is built and ready; stop the old one
		// and start the new one on the same MQTT session.
		cancel()
		d.drain(errc)
		p = next
	}
}

// wait returns a new pipeline to switch to after a good SIGHUP, or nil and
// the error to stop with.
func (d *daemon) wait(ctx context.Context, hup <-chan os.Signal, errc <-chan error) (pipeline, error) {
	for {
		select {
		case <-ctx.Done():
			d.log.Info().Msg("stopping")
			return nil, nil
		case err := <-errc:
			if err == nil || errors.Is(err, context.Canceled) {
				return nil, errors.New("pipeline ended unexpectedly")
			}
			return nil, err
		case <-hup:
			d.notify.Reloading()
			next, err := d.reload(ctx)
			if err != nil {
				d.log.Error().Err(err).Msg("reload failed; still running the previous configuration and models")
				d.notify.Ready("reload failed: " + err.Error())
				continue
			}
			return next, nil
		}
	}
}

func (d *daemon) reload(ctx context.Context) (pipeline, error) {
	cfg, err := loadConfig(d.flags.config, d.flags, d.getenv)
	if err != nil {
		return nil, err
	}
	if !reflect.DeepEqual(cfg.MQTT, d.cfg.MQTT) || cfg.Robot != d.cfg.Robot || cfg.StateDir != d.cfg.StateDir || !reflect.DeepEqual(cfg.Host, d.cfg.Host) {
		d.log.Warn().Msg("robot, state_dir, host and mqtt settings take effect at restart; the session is kept")
		cfg.MQTT, cfg.Robot, cfg.StateDir, cfg.Host = d.cfg.MQTT, d.cfg.Robot, d.cfg.StateDir, d.cfg.Host
	}
	if lvl, err := zerolog.ParseLevel(cfg.LogLevel); err == nil {
		zerolog.SetGlobalLevel(lvl)
	}
	prev := d.cfg.Models
	if d.models.setPolicy(cfg.Models) {
		d.log.Warn().Bool("allow_unsigned", cfg.Models.AllowUnsigned).Str("trusted_keys", cfg.Models.TrustedKeys).
			Msg("model policy changed: installed bundles are verified again under it")
	}
	p, err := buildPipeline(ctx, cfg, d.link, d.models, d.reg, d.log, d.dash)
	if err != nil {
		d.models.setPolicy(prev)
		return nil, err
	}
	d.cfg = cfg
	d.log.Info().Int("sensors", len(cfg.Sensors)).Msg("configuration and models reloaded")
	return p, nil
}

func (d *daemon) drain(errc <-chan error) {
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, context.Canceled) {
			d.log.Warn().Err(err).Msg("pipeline stopped with an error")
		}
	case <-time.After(drainBudget):
		d.log.Error().Dur("budget", drainBudget).Msg("pipeline did not stop in time")
	}
}

func (d *daemon) setCurrent(p pipeline) {
	select {
	case <-d.cur:
	default:
	}
	d.cur <- p
}

func (d *daemon) current() pipeline {
	select {
	case p := <-d.cur:
		d.cur <- p
		return p
	default:
		return nil
	}
}

func (d *daemon) liveView(ctx context.Context, p pipeline) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, l := range p.Lines() {
				fmt.Fprintln(d.stdout, l)
			}
		}
	}
}

// serveHTTP starts /metrics, /healthz, /status and the dashboard at /; the returned func stops
// it. The listener is bound before it returns, so the endpoints answer by
// the time READY=1 is sent. A port that cannot be bound is logged and the
// daemon runs on without the status server: trust flags matter more.
func (d *daemon) serveHTTP() func() {
	if d.cfg.HTTP.Listen == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", d.cfg.HTTP.Listen)
	if err != nil {
		d.log.Error().Err(err).Str("listen", d.cfg.HTTP.Listen).Msg("status server disabled")
		return func() {}
	}
	srv := newStatusServer(d.handler(), statusIdleTimeout)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error().Err(err).Str("listen", d.cfg.HTTP.Listen).Msg("status server")
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		srv.Shutdown(ctx)
	}
}
