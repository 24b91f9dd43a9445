package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sensortrust/trustagent/agent/host"
)

// cmdTrainHost trains a host model from a host sample log recorded on a
// robot (<state_dir>/host/samples.log), as the robot itself would.
func cmdTrainHost(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train --host", stderr)
	in := fs.String("in", "", "host sample log recorded by trustd (<state_dir>/host/samples.log) (required)")
	out := fs.String("out", "", "host model file to write (required)")
	period := fs.Duration("period", time.Second, "the robot's host.period when the log was recorded")
	alarms := fs.Float64("alarms-per-day", 1, "target false host WARNs per day of normal running (ERROR at a tenth)")
	id := fs.String("id", "host", "model id prefix (the training time is appended)")
	seed := fs.Uint64("seed", 0, "random seed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: trustctl train --host --in SAMPLES.LOG --out MODEL [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Trains the host autoencoder on a robot's recorded healthy host samples, as trustd")
		fmt.Fprintln(stderr, "does at the end of its learning phase, and writes the model file trustd keeps in")
		fmt.Fprintln(stderr, "<state_dir>/host/model.bin.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return usageError("--in and --out are required")
	}
	rows, times, err := host.ReadSampleLog(*in)
	if err != nil {
		return err
	}
	if len(rows) < host.MinLearnSamples {
		return fmt.Errorf("%s holds %d samples; training needs at least %d", *in, len(rows), host.MinLearnSamples)
	}
	if len(rows[0]) != len(host.Names()) {
		return fmt.Errorf("%s was recorded with %d host features, this build has %d", *in, len(rows[0]), len(host.Names()))
	}
	opts := host.LearnOptions{Period: *period, AlarmsPerDay: *alarms, ID: *id}
	opts.Train.Seed = *seed
	t0 := time.Now()
	m, rep, err := host.Train(ctx, rows, opts)
	if err != nil {
		return err
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes) in %v: %s, %d samples from %s to %s, %d epochs, warn %.3g, error %.3g\n",
		*out, len(b), time.Since(t0).Round(time.Millisecond), m.ID, len(rows),
		times[0].UTC().Format(time.RFC3339), times[len(times)-1].UTC().Format(time.RFC3339), rep.Epochs, m.Warn, m.Error)
	return nil
}
