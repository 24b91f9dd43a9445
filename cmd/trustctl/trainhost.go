package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sensortrust/trustagent/internal/training"
)

// cmdTrainHost trains a host model from a host sample log recorded on a
// robot (<state_dir>/host/samples.log), as the robot itself would, and
// writes it as a host bundle for trustctl bundle push.
func cmdTrainHost(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train --host", stderr)
	in := fs.String("in", "", "host sample log recorded by trustd (<state_dir>/host/samples.log) (required)")
	out := fs.String("out", "", "host bundle to write (required)")
	var opts training.HostOptions
	fs.DurationVar(&opts.Period, "period", time.Second, "the robot's host.period when the log was recorded")
	fs.Float64Var(&opts.AlarmsPerDay, "alarms-per-day", 1, "target false host WARNs per day of normal running (ERROR at a tenth)")
	fs.StringVar(&opts.ModelID, "id", "host", "model id recorded in the bundle (the host model's own id appends the training time)")
	fs.Uint64Var(&opts.Version, "version", 1, "model version recorded in the bundle (>= 1; a robot installs only a newer one)")
	fs.Uint64Var(&opts.Seed, "seed", 0, "random seed")
	key := fs.String("key", "", "private key `file` to sign the bundle with, as 'trustctl bundle sign' does (default: unsigned)")
	created := fs.String("created", "", "creation time recorded in the bundle (RFC 3339; default $SOURCE_DATE_EPOCH when set, else now)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: trustctl train --host --in SAMPLES.LOG --out HOST.BUNDLE [--key FLEET.KEY] [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Trains the host autoencoder on a robot's recorded healthy host samples, as trustd")
		fmt.Fprintln(stderr, "does at the end of its learning phase, and writes it as a host bundle: push it to")
		fmt.Fprintln(stderr, "identical robots with 'trustctl bundle push' (it must be signed by a key they trust).")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return usageError("--in and --out are required")
	}
	if opts.Version == 0 {
		return usageError("--version must be >= 1")
	}
	var err error
	if opts.Created, err = creationTime(*created); err != nil {
		return err
	}
	t0 := time.Now()
	res, err := training.TrainHost(ctx, *in, opts)
	if err != nil {
		return err
	}
	data, signed := res.Bundle, "unsigned (sign with 'trustctl bundle sign')"
	if *key != "" {
		k, s, err := signBundle(*key, data)
		if err != nil {
			return err
		}
		data, signed = s, "signed by "+k.Name+" ("+k.KeyID().String()+")"
	}
	if err := writeFileAtomic(*out, data); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	m := res.Model
	fmt.Fprintf(stdout, "wrote %s (%d bytes) in %v: host bundle %s version %d, %s; model %s, %d samples from %s to %s, %d epochs, warn %.3g, error %.3g\n",
		*out, len(data), time.Since(t0).Round(time.Millisecond), opts.ModelID, opts.Version, signed, m.ID, res.Samples,
		res.From.UTC().Format(time.RFC3339), res.To.UTC().Format(time.RFC3339), res.Report.Epochs, m.Warn, m.Error)
	return nil
}
