package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sensortrust/trustagent/transport/fleet"
	"github.com/sensortrust/trustagent/transport/mqtt"
)

// watchPasswordEnv holds the MQTT password when --username is given without
// --password-file, as for bundle push.
const watchPasswordEnv = "TRUSTCTL_MQTT_PASSWORD"

func cmdWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("watch", stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, "usage: trustctl watch [--broker URL] [--prefix P] [--robot GLOB] [--once] [flags]")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Shows the trust state of every robot under PREFIX, worst first, from the retained")
		fmt.Fprintln(w, "messages of one MQTT broker. A state past its expiry, or of an offline robot, shows STALE.")
		fmt.Fprintln(w)
		fs.PrintDefaults()
	}
	def := fleet.DefaultOptions()
	broker := fs.String("broker", "tcp://127.0.0.1:1883", "MQTT broker `URL`: tcp://host:1883, or ssl://host:8883 for TLS")
	prefix := fs.String("prefix", def.Prefix, "topic prefix before the robot id")
	robots := fs.String("robot", "", "show only robots whose id matches this `glob` (e.g. 'amr-1*')")
	once := fs.Bool("once", false, "print one snapshot, once the retained messages have arrived, and exit")
	interval := fs.Duration("interval", time.Second, "redraw every `duration`")
	settle := fs.Duration("settle", 500*time.Millisecond, "with --once: the retained messages are in when none arrived for this long")
	timeout := fs.Duration("timeout", 30*time.Second, "with --once: give up after this long")
	clientID := fs.String("client-id", "", "MQTT client id (default: trustctl-watch-<random>)")
	username := fs.String("username", "", "MQTT username; the password comes from --password-file or $"+watchPasswordEnv)
	passwordFile := fs.String("password-file", "", "`file` whose first line is the MQTT password")
	caFile := fs.String("ca-file", "", "CA `file` (PEM) that verifies the broker; system roots when empty")
	certFile := fs.String("cert-file", "", "client certificate `file` (PEM), for mutual TLS")
	keyFile := fs.String("key-file", "", "client key `file` (PEM), for mutual TLS")
	serverName := fs.String("server-name", "", "host name expected in the broker's certificate, if not the URL's")
	maxRobots := fs.Int("max-robots", def.MaxRobots, "robots kept in memory; further robots are counted and dropped")
	maxSensors := fs.Int("max-sensors", def.MaxSensors, "sensors kept per robot")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *interval <= 0 || *settle <= 0 || *timeout <= 0 {
		return usageError("--interval, --settle and --timeout must be positive")
	}
	fl, err := fleet.New(fleet.Options{Prefix: *prefix, Robots: *robots, MaxRobots: *maxRobots, MaxSensors: *maxSensors})
	if err != nil {
		return usageError("%v", err)
	}
	cfg := mqtt.SubscriberConfig{Broker: *broker, ClientID: *clientID,
		CAFile: *caFile, CertFile: *certFile, KeyFile: *keyFile, ServerName: *serverName,
		Username: *username, PasswordFile: *passwordFile}
	if cfg.ClientID == "" {
		var r [4]byte
		_, _ = rand.Read(r[:])
		cfg.ClientID = "trustctl-watch-" + hex.EncodeToString(r[:])
	}
	if *username != "" && *passwordFile == "" {
		cfg.PasswordEnv = watchPasswordEnv
		if os.Getenv(watchPasswordEnv) == "" {
			cfg.PasswordEnv = "" // a username alone, as a broker may accept
		}
	}
	var cerr *mqtt.ConfigError
	if err := cfg.Validate(); errors.As(err, &cerr) {
		return usageError("%v", err)
	}

	tab := newWatchTable(stdout, *broker)
	if *once {
		octx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		sub, err := mqtt.Subscribe(octx, cfg, fl.Filter(), func(m mqtt.Message) { fl.Feed(m.Topic, m.Payload) })
		if err != nil {
			return err
		}
		defer sub.Close()
		if err := sub.WaitRetained(octx, *settle); err != nil {
			return err
		}
		snap := fl.Snapshot(time.Now())
		return tab.print(&snap, sub.Connected())
	}
	sub, err := mqtt.Subscribe(ctx, cfg, fl.Filter(), func(m mqtt.Message) { fl.Feed(m.Topic, m.Payload) })
	if err != nil {
		return err
	}
	defer sub.Close()
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		snap := fl.Snapshot(time.Now())
		if err := tab.print(&snap, sub.Connected()); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
