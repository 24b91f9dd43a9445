package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/sensortrust/trustagent/internal/config"
	"github.com/sensortrust/trustagent/internal/version"
	"github.com/sensortrust/trustagent/sensors/drivers"
)

// Exit codes (see doc.go).
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// flags are the command line. The few per-robot values that operators
// change (robot id, broker) can also come from the environment; flags win.
type flags struct {
	config      string
	checkConfig string
	version     bool
	logLevel    string
	robot       string
	broker      string
	live        bool
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("trustd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", "/etc/trustd/trustd.yaml", "configuration file")
	fs.StringVar(&f.checkConfig, "check-config", "", "validate `FILE` and exit (0 valid, 2 invalid)")
	fs.BoolVar(&f.version, "version", false, "print the version and exit")
	fs.StringVar(&f.logLevel, "log-level", "", "override log_level (trace, debug, info, warn, error)")
	fs.StringVar(&f.robot, "robot", "", "override robot id (also TRUSTD_ROBOT)")
	fs.StringVar(&f.broker, "broker", "", "override MQTT broker URL (also TRUSTD_BROKER)")
	fs.BoolVar(&f.live, "live", false, "print one line per sensor to stdout every second")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return f, nil
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run is main without the process, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	f, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "trustd: %v\n", err)
		return exitUsage
	}
	if f.version {
		fmt.Fprintf(stdout, "trustd %s %s/%s\n", version.String(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	}
	if f.checkConfig != "" {
		cfg, err := loadConfig(f.checkConfig, f, getenv)
		if err != nil {
			fmt.Fprintf(stderr, "trustd: %v\n", err)
			return exitUsage
		}
		for _, err := range cfg.Unavailable() {
			fmt.Fprintf(stderr, "trustd: warning: %v\n", err)
		}
		fmt.Fprintf(stdout, "%s: valid\n", f.checkConfig)
		return exitOK
	}
	cfg, err := loadConfig(f.config, f, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "trustd: %v\n", err)
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	d, err := newDaemon(cfg, f, stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "trustd: %v\n", err)
		return exitRuntime
	}
	if err := d.run(ctx, hup); err != nil {
		d.log.Error().Err(err).Msg("trustd stopped on an error")
		return exitRuntime
	}
	return exitOK
}

// loadConfig reads a file, applies the environment, then the flags, and
// checks the result the way the daemon needs it: every error is a
// configuration error, reported with exit status 2.
func loadConfig(path string, f flags, getenv func(string) string) (config.Config, error) {
	reg, err := drivers.Registry()
	if err != nil {
		return config.Config{}, err
	}
	cfg, err := config.Load(path, reg)
	if err != nil {
		return cfg, err
	}
	cfg.Override("robot", getenv("TRUSTD_ROBOT"), "TRUSTD_ROBOT")
	cfg.Override("mqtt.broker", getenv("TRUSTD_BROKER"), "TRUSTD_BROKER")
	cfg.Override("robot", f.robot, "--robot")
	cfg.Override("mqtt.broker", f.broker, "--broker")
	cfg.Override("log_level", f.logLevel, "--log-level")
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, cfg.Check()
}
