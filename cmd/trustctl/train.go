package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

// dirList is a repeatable directory flag.
type dirList []string

func (d *dirList) String() string     { return strings.Join(*d, ",") }
func (d *dirList) Set(s string) error { *d = append(*d, s); return nil }

// cmdTrain trains, quantises and calibrates a sensor's models on clean
// recordings and writes a model bundle.
func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "--host" || args[0] == "-host") {
		return cmdTrainHost(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("train", stderr)
	sensor := fs.String("sensor", "", "sensor kind: lidar or camera (required)")
	var ins dirList
	fs.Var(&ins, "in", "directory of clean frames (KITTI .bin, PCD, PNG, JPEG or PGM, optional timestamps.txt); repeat for several recordings")
	var calIns dirList
	fs.Var(&calIns, "cal-in", "directory of clean frames used only to calibrate the thresholds (repeatable; default: the last 20 % of every --in)")
	out := fs.String("out", "", "model bundle to write (required)")
	opts := training.DefaultOptions(sensors.KindUnknown)
	fs.Uint64Var(&opts.Seed, "seed", opts.Seed, "random seed: the same seed and data give the same model")
	fs.Float64Var(&opts.TargetFPR, "fpr", opts.TargetFPR, "target per-frame false-positive rate on held-out clean frames")
	fs.IntVar(&opts.Epochs, "epochs", 0, "maximum VAE training epochs (0: default 150, early stopping)")
	fs.IntVar(&opts.Hidden, "hidden", 0, "VAE encoder/decoder hidden width (0: default 64)")
	fs.IntVar(&opts.Latent, "latent", 0, "VAE latent dimension (0: default 8)")
	fs.IntVar(&opts.ThumbW, "thumb", 0, "camera thumbnail width (0: default 32)")
	fs.IntVar(&opts.AzBins, "azimuth-bins", 0, "LiDAR range-image azimuth bins (0: default 64)")
	healthMode := fs.String("health", opts.Health.String(), "what the health autoencoder may raise: warn (advisory reasons, level WARN), error (WARN above its 99th, ERROR above its 99.9th percentile on the calibration block), off (not trained)")
	modelID := fs.String("id", "", "model id recorded in the bundle (default: the out file name, prefixed with the sensor kind unless it starts with it)")
	fs.Uint64Var(&opts.Version, "version", opts.Version, "model version recorded in the bundle (>= 1)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	created := fs.String("created", "", "creation time recorded in the model (RFC 3339; default $SOURCE_DATE_EPOCH when set, else now): fix it to get byte-identical models")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl train --sensor lidar|camera --in DIR [--in DIR ...] --out MODEL [flags]")
		fmt.Fprintln(fs.Output(), "       trustctl train --host --in SAMPLES.LOG --out HOST.BUNDLE [--key FLEET.KEY] [flags]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Trains the sensor's VAE and health autoencoder on clean frames, quantises them,")
		fmt.Fprintln(fs.Output(), "calibrates the threshold after quantisation on the last contiguous block of clean")
		fmt.Fprintln(fs.Output(), "frames at the target false-positive rate and writes an unsigned model bundle")
		fmt.Fprintln(fs.Output(), "(sign it with 'trustctl bundle sign').")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	kind, ok := sensors.ParseKind(*sensor)
	if !ok || (kind != sensors.KindLidar && kind != sensors.KindCamera) {
		return usageError("--sensor must be lidar or camera, got %q", *sensor)
	}
	opts.Kind = kind
	if len(ins) == 0 || *out == "" {
		return usageError("--in and --out are required")
	}
	if !(opts.TargetFPR > 0 && opts.TargetFPR < 0.5) {
		return usageError("--fpr %v outside (0, 0.5)", opts.TargetFPR)
	}
	if opts.Version == 0 {
		return usageError("--version must be >= 1")
	}
	if opts.Health, ok = training.ParseHealthMode(*healthMode); !ok {
		return usageError("--health must be warn, error or off, got %q", *healthMode)
	}
	var err error
	if opts.Created, err = creationTime(*created); err != nil {
		return err
	}
	opts.ModelID = *modelID
	if opts.ModelID == "" {
		opts.ModelID = defaultModelID(kind, *out)
	}
	recs, err := training.LoadRecordings(ctx, append(append([]string(nil), ins...), calIns...), kind, "")
	if err != nil {
		return err
	}
	for i := len(ins); i < len(recs); i++ {
		recs[i].Role = training.CalibrateOnly
	}
	t0 := time.Now()
	res, err := trainModel(ctx, recs, opts, *quiet, stderr)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, res.Bundle); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes) in %v: %s\n", *out, len(res.Bundle), time.Since(t0).Round(time.Millisecond), trainSummary(res))
	return nil
}

// trainModel runs training.Train with progress on stderr (silent when
// quiet) and prints its warning when the bundle has no health model.
func trainModel(ctx context.Context, recs []training.Recording, opts training.Options, quiet bool, stderr io.Writer) (*training.Result, error) {
	progress, done := progressBars(quiet, stderr)
	opts.Progress = func(p training.Progress) { progress(p.Stage, p.Done, p.Total) }
	res, err := training.Train(ctx, recs, opts)
	done()
	if err != nil {
		return nil, err
	}
	if res.HealthSkipped != nil {
		fmt.Fprintf(stderr, "trustctl train: warning: %v; the model has no health autoencoder\n", res.HealthSkipped)
	}
	for _, w := range res.Coverage.Warnings() {
		fmt.Fprintf(stderr, "trustctl train: warning: %s (recorded in the bundle)\n", w)
	}
	return res, nil
}

// trainSummary describes a trained model in one line.
func trainSummary(res *training.Result) string {
	c := res.VAE.Calibration()
	m := res.VAE.Meta()
	sum := fmt.Sprintf("%v model, %d frames (train %d, val %d, cal %d), %d epochs, threshold %.4g at target FPR %.3g",
		res.VAE.Kind(), m.Frames, m.TrainFrames, m.ValFrames, m.CalFrames, m.Epochs, c.Threshold, c.TargetFPR)
	if res.Health != nil {
		sum += fmt.Sprintf(", health model on %d features", res.Health.D())
	}
	return sum
}

// creationTime resolves a --created flag: RFC 3339, else
// $SOURCE_DATE_EPOCH when set, else the zero time (the caller's default).
func creationTime(flag string) (time.Time, error) {
	if flag != "" {
		t, err := time.Parse(time.RFC3339, flag)
		if err != nil {
			return time.Time{}, usageError("--created: %v", err)
		}
		return t.UTC(), nil
	}
	if sde := os.Getenv("SOURCE_DATE_EPOCH"); sde != "" {
		sec, err := strconv.ParseInt(sde, 10, 64)
		if err != nil {
			return time.Time{}, usageError("SOURCE_DATE_EPOCH %q is not a number of seconds", sde)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	return time.Time{}, nil
}
