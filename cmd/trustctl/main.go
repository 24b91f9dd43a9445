package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one trustctl subcommand. run parses args (without the
// subcommand name) and writes its output to stdout; errors go back to main,
// which prints them once.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"train", "train and calibrate a model on clean recordings", cmdTrain},
		{"score", "score a recording frame by frame (JSON lines)", cmdScore},
		{"calibrate", "set a model's alarm thresholds on clean recordings", cmdCalibrate},
		{"eval", "evaluate detection on clean and faulted recordings", cmdEval},
		{"inspect", "show what a model bundle holds", cmdInspect},
		{"models", "train the default models", cmdModels},
		{"results", "regenerate the results tables of the default models", cmdResults},
		{"soak", "count false alarms of models on long clean simulated drives", cmdSoak},
		{"convert", "convert a recording to KITTI .bin or PNG frames", cmdConvert},
		{"sim", "simulate a robot's sensors with a fault scenario", cmdSim},
		{"inject", "apply one fault to a recording", cmdInject},
		{"scene", "list the scene catalogue or write one scene's clean drive", cmdScene},
		{"bundle", "keygen | sign | verify | inspect | push model bundles", cmdBundle},
		{"watch", "show the trust state of a fleet from an MQTT broker", cmdWatch},
		{"probe", "list the buses, ports and cameras of this machine", cmdProbe},
		{"version", "print the version", cmdVersion},
	}
}

// errUsage marks errors caused by bad arguments; main exits 2 for them.
var errUsage = errors.New("usage")

// usageError returns a usage error: errors.Is(err, errUsage) holds, and the
// message is printed as it is.
func usageError(format string, a ...any) error {
	return badUsage{fmt.Sprintf(format, a...)}
}

type badUsage struct{ msg string }

func (e badUsage) Error() string        { return e.msg }
func (e badUsage) Is(target error) bool { return target == errUsage }

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("trustctl "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	if args[0] == "--version" {
		args[0] = "version"
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var help helpRequest
		switch {
		case err == nil:
			return 0
		case errors.As(err, &help):
			help.fs.SetOutput(stdout)
			help.fs.Usage()
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "trustctl %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "trustctl %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "trustctl: unknown command %q (see 'trustctl -h')\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: trustctl <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'trustctl <command> -h' for a command's flags.")
}
